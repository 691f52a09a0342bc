"""Spanish as the target language: what learners say per topic, and how the tutor answers.

Typical trouble spots: ser/estar, preterite/imperfect, por/para, the subjunctive after
wishes and requests, 'gustar'-type verbs, gender of articles, written accents, and false
friends for English speakers (embarazada, realizar, librería). Tutor replies are in
Spanish (tú) with the explanation in simple English in brackets.
"""

from __future__ import annotations

from resolvers.demo.corpus.model import *  # the shorthand: pairs, E, U, speaker groups

UTTERANCES: dict[str, tuple[U, ...]] = {
    "Travel": (
        U(
            "El verano pasado fui a México y era increíble.",
            E(
                "era increíble",
                "fue increíble",
                TENSE,
                "For a finished experience seen as a whole, use the preterite: 'fue increíble' (or 'estuvo increíble').",
            ),
        ),
        U(
            "Estoy muy emocionado para mi viaje a Perú.",
            E(
                "emocionado para",
                "emocionado por",
                PREP,
                "You are excited 'por' something (the cause), not 'para': 'emocionado por' (or 'emocionado con').",
            ),
            natives=EN,
        ),
        U(
            "El hotel fue muy cerca de la playa.",
            E(
                "fue muy cerca",
                "estaba muy cerca",
                WORD,
                "Location uses 'estar', not 'ser': 'estaba muy cerca' (or 'quedaba muy cerca').",
            ),
        ),
        U(
            "¿Cuánto el billete cuesta a Sevilla?",
            E(
                "Cuánto el billete cuesta",
                "Cuánto cuesta el billete",
                QUEST,
                "In Spanish questions the verb usually comes right after the question word.",
            ),
            natives=(*EN, "German"),
        ),
        U(
            "Perdimos el tren porque llegamos en la estación muy tarde.",
            E(
                "llegamos en la estación",
                "llegamos a la estación",
                PREP,
                "'Llegar' takes 'a' for the place you arrive at.",
            ),
        ),
        U(
            "Mi maleta es muy larga y no cabe en el maletero.",
            E("muy larga", "muy grande", FALSE, "'Largo/larga' means long; 'large' is 'grande'."),
            natives=EN,
        ),
        U(
            "El año que viene quiero visitar el Chile con mi novia.",
            E(
                "visitar el Chile",
                "visitar Chile",
                ART,
                "Most country names take no article in Spanish: 'Chile'.",
            ),
            natives=("Italian", "French", "Portuguese"),
        ),
        U(
            "Los playas de Cádiz son preciosas.",
            E("Los playas", "Las playas", ART, "'Playa' is feminine, so the article is 'las'."),
        ),
        U(
            "Necesito cambiar dinero, ¿dónde está un banco?",
            E(
                "dónde está un banco",
                "dónde hay un banco",
                WORD,
                "To ask whether there is one somewhere, use 'hay' with 'un/una'; 'está' is for a specific, known place.",
            ),
        ),
        U(
            "Mañana salimos muy temprano, a las cinco de la manana.",
            E("manana", "mañana", SPELL, "'Mañana' is written with 'ñ'."),
        ),
        U(
            "Cuando llegué al aeropuerto, me di cuenta que había olvidado el pasaporte.",
            E(
                "me di cuenta que",
                "me di cuenta de que",
                PREP,
                "The verb is 'darse cuenta de', so before 'que' you need 'de'.",
            ),
        ),
        U(
            "Hola Carmen, ya estoy en Madrid y todo va bien.",
            E(
                "Hola Carmen",
                "Hola, Carmen",
                COMMA,
                "Put a comma before the name of the person you are talking to.",
            ),
        ),
    ),
    "Job interviews": (
        U(
            "Quiero aplicar para el puesto de diseñadora.",
            E(
                "aplicar para",
                "solicitar",
                FALSE,
                "'Aplicar' means to apply a rule or a cream; to apply for a job, Spanish uses 'solicitar' and 'postularse a': 'Quiero solicitar el puesto' (or 'Quiero postularme al puesto').",
            ),
            natives=EN,
        ),
        U(
            "Trabajo en una empresa de software por tres años.",
            E(
                "por tres años",
                "desde hace tres años",
                PREP,
                "For something that started in the past and still goes on, Spanish uses 'desde hace'.",
            ),
            natives=EN,
        ),
        U(
            "En mi último trabajo yo era responsable para las ventas en Europa.",
            E(
                "responsable para",
                "responsable de",
                PREP,
                "'Responsable' takes 'de': 'responsable de las ventas'.",
            ),
        ),
        U(
            "Es muy importante para mí que la empresa tiene buenos valores.",
            E(
                "tiene",
                "tenga",
                TENSE,
                "After 'es importante que', Spanish uses the subjunctive: 'tenga'.",
            ),
        ),
        U(
            "Estoy muy excitado con la idea de trabajar con ustedes.",
            E(
                "excitado",
                "ilusionado",
                FALSE,
                "'Excitado' usually means sexually aroused; for 'excited' say 'ilusionado' or 'entusiasmado': 'muy ilusionado' (or 'muy emocionado').",
            ),
            natives=EN,
        ),
        U(
            "Tengo mucho experiencia en atención al cliente.",
            E(
                "mucho experiencia",
                "mucha experiencia",
                ART,
                "'Experiencia' is feminine, so the quantifier is 'mucha'.",
            ),
        ),
        U(
            "Realicé que necesitaba un cambio y dejé mi trabajo.",
            E(
                "Realicé",
                "Me di cuenta de",
                FALSE,
                "'Realizar' means to carry out; 'to realise' is 'darse cuenta de'.",
            ),
            natives=EN,
        ),
        U(
            "Hablo inglés, francés y un poco de aleman.",
            E("aleman", "alemán", SPELL, "'Alemán' has a written accent on the last syllable."),
        ),
        U(
            "Mi último trabajo era estresante. Sin embargo aprendí mucho allí.",
            E(
                "Sin embargo aprendí",
                "Sin embargo, aprendí",
                COMMA,
                "'Sin embargo' at the start of a sentence is followed by a comma.",
            ),
        ),
        U(
            "He siempre querido trabajar en una empresa internacional.",
            E(
                "He siempre querido",
                "Siempre he querido",
                ADV,
                "Nothing goes between 'haber' and the participle: 'siempre he querido'.",
            ),
            natives=(*EN, "Italian", "French"),
        ),
        U(
            "Los problemas más grande de mi trabajo anterior eran los horarios.",
            E(
                "más grande",
                "más grandes",
                PLUR,
                "The adjective agrees with 'problemas', which is plural: 'más grandes'.",
            ),
        ),
        U(
            "¿Qué es el horario de trabajo?",
            E(
                "Qué es el horario",
                "Cuál es el horario",
                WORD,
                "To ask for a specific piece of information, use '¿Cuál es…?', not '¿Qué es…?'.",
            ),
            natives=EN,
        ),
    ),
    "Food and restaurants": (
        U(
            "Me gusta mucho las tapas de este bar.",
            E(
                "gusta",
                "gustan",
                SVA,
                "With 'gustar', the verb agrees with the thing you like: 'las tapas' is plural.",
            ),
        ),
        U(
            "Yo gusto el chocolate negro.",
            E(
                "Yo gusto",
                "Me gusta",
                PRON,
                "'Gustar' works backwards: the thing pleases you, so 'Me gusta' (or 'A mí me gusta').",
            ),
            natives=EN,
        ),
        U(
            "La sopa está fría, ¿puede calentarlo, por favor?",
            E(
                "calentarlo",
                "calentarla",
                PRON,
                "'Sopa' is feminine, so the object pronoun is 'la'.",
            ),
        ),
        U(
            "Quisiera una mesa por cuatro personas.",
            E(
                "por cuatro personas",
                "para cuatro personas",
                PREP,
                "For who something is meant for, use 'para'.",
            ),
        ),
        U(
            "Estoy muy caliente, ¿puede abrir la ventana?",
            E(
                "Estoy muy caliente",
                "Tengo mucho calor",
                WORD,
                "To say you feel hot, use 'tener calor'; 'estar caliente' has a sexual meaning.",
            ),
            natives=EN,
        ),
        U(
            "Anoche cocinaba una paella para mis amigos y salió muy bien.",
            E(
                "cocinaba",
                "cociné",
                TENSE,
                "A completed action last night takes the preterite: 'cociné'.",
            ),
        ),
        U(
            "La agua de aquí está muy fría.",
            E(
                "La agua",
                "El agua",
                ART,
                "Feminine nouns starting with a stressed 'a' take 'el' in the singular: 'el agua'.",
            ),
        ),
        U(
            "Estoy muy hambre, ¿pedimos ya?",
            E(
                "Estoy muy hambre",
                "Tengo mucha hambre",
                COLL,
                "Hunger goes with 'tener': 'tengo mucha hambre'.",
            ),
            natives=EN,
        ),
        U(
            "Mi plato favorito es los tacos al pastor.",
            E(
                "es los tacos",
                "son los tacos",
                SVA,
                "When the complement is plural, 'ser' agrees with it: 'son los tacos'.",
            ),
        ),
        U(
            "¿Puedo tener la cuenta, por favor?",
            E(
                "Puedo tener la cuenta",
                "Me trae la cuenta",
                COLL,
                "To ask for the bill, Spanish says '¿Me trae la cuenta?', not a word-for-word 'Can I have': 'Me trae la cuenta' (or 'Me puede traer la cuenta').",
            ),
            natives=EN,
        ),
        U(
            "Compré dos kilos de tomates y tres limónes.",
            E(
                "limónes",
                "limones",
                SPELL,
                "'Limón' loses its written accent in the plural: 'limones'.",
            ),
        ),
        U(
            "Los camareros en este restaurante es muy amables.",
            E(
                "es muy amables",
                "son muy amables",
                SVA,
                "'Los camareros' is plural, so the verb is 'son'.",
            ),
        ),
    ),
    "Daily routine": (
        U(
            "Normalmente yo levanto a las siete.",
            E("yo levanto", "me levanto", PRON, "'Levantarse' is reflexive: 'me levanto'."),
        ),
        U(
            "Mi hermana se acuesta tarde porque es estudiando para sus exámenes.",
            E(
                "es estudiando",
                "está estudiando",
                TENSE,
                "The progressive is formed with 'estar' + gerund.",
            ),
        ),
        U(
            "Mis hijos va al colegio a pie.",
            E("hijos va", "hijos van", SVA, "'Mis hijos' is plural, so the verb is 'van'."),
        ),
        U(
            "Me lavo los dientes tres veces por el día.",
            E(
                "por el día",
                "al día",
                PREP,
                "For how often, Spanish says 'tres veces al día' (or 'tres veces por día').",
            ),
        ),
        U(
            "El domingo pasado me levantaba a las once.",
            E(
                "me levantaba",
                "me levanté",
                TENSE,
                "A single completed event on a specific day takes the preterite: 'me levanté'.",
            ),
        ),
        U(
            "Cuando era niño, me levanté cada día a las seis.",
            E(
                "me levanté",
                "me levantaba",
                TENSE,
                "A repeated habit in the past takes the imperfect: 'me levantaba'.",
            ),
        ),
        U(
            "Mi marido es muy cansado después del trabajo.",
            E(
                "es muy cansado",
                "está muy cansado",
                WORD,
                "A temporary state uses 'estar': 'está cansado'. 'Es cansado' means he is tiring.",
            ),
        ),
        U(
            "Mi rutina es muy aburrida, todos los días hago la misma cosa.",
            E(
                "la misma cosa",
                "lo mismo",
                WORD,
                "Spanish usually says 'lo mismo' for 'the same thing'.",
            ),
            natives=EN,
        ),
        U(
            "A mediodía como con mis compañeros en la cantina.",
            E(
                "la cantina",
                "el comedor",
                FALSE,
                "A company canteen is 'el comedor' (or 'la cafetería'); a 'cantina' is usually a bar.",
            ),
            natives=(*EN, "German", "Italian"),
        ),
        U(
            "¿A qué hora te normalmente levantas?",
            E(
                "te normalmente levantas",
                "te levantas normalmente",
                ADV,
                "Nothing can go between the pronoun 'te' and its verb: 'te levantas normalmente' (or 'normalmente te levantas').",
            ),
        ),
        U(
            "Voy a la oficina en bicicleta, es más rapido que el autobús.",
            E("rapido", "rápido", SPELL, "'Rápido' carries a written accent on the first 'a'."),
        ),
        U(
            "Sábado y domingo no trabajo.",
            E(
                "Sábado y domingo",
                "Los sábados y domingos",
                ART,
                "Days of the week need an article: 'Los sábados y domingos' (or 'Los sábados y los domingos') for every weekend.",
            ),
            natives=EN,
        ),
    ),
    "Hobbies": (
        U(
            "Juego la guitarra desde hace diez años.",
            E(
                "Juego la guitarra",
                "Toco la guitarra",
                WORD,
                "An instrument takes 'tocar'; 'jugar' is for games and sports.",
            ),
        ),
        U(
            "Juego a tenis dos veces por semana.",
            E(
                "a tenis",
                "al tenis",
                ART,
                "'Jugar a' + a sport needs the article: 'Juego al tenis' (or 'Juego tenis', as much of Latin America says).",
            ),
        ),
        U(
            "Leo mucho, sobre todo novelas, y voy a una club de lectura.",
            E("una club", "un club", ART, "'Club' is masculine: 'un club'."),
        ),
        U(
            "Cuando era joven, jugué al baloncesto todos los sábados.",
            E(
                "jugué",
                "jugaba",
                TENSE,
                "A regular habit in the past takes the imperfect: 'jugaba'.",
            ),
        ),
        U(
            "Estoy muy bueno en ajedrez.",
            E(
                "Estoy muy bueno",
                "Soy muy bueno",
                WORD,
                "To say you are good at something, use 'ser bueno en'; 'estar bueno' means physically attractive.",
            ),
        ),
        U(
            "Corro en el parque cada mañana, es muy relajando.",
            E(
                "relajando",
                "relajante",
                WORD,
                "The adjective is 'relajante'; 'relajando' is the gerund (relaxing, as an action).",
            ),
        ),
        U(
            "Estoy pensando de aprender a tocar la batería.",
            E(
                "pensando de",
                "pensando en",
                PREP,
                "'Pensar en' means 'to think about'; 'pensar de' is for opinions.",
            ),
        ),
        U(
            "Mis amigos y yo juegamos a videojuegos los viernes.",
            E(
                "juegamos",
                "jugamos",
                TENSE,
                "The stem change u → ue happens only when the stem is stressed: 'jugamos'.",
            ),
        ),
        U(
            "La semana pasada fui a pescar y cogí tres pescados.",
            E(
                "tres pescados",
                "tres peces",
                WORD,
                "A live fish is a 'pez'; 'pescado' is fish as food.",
            ),
        ),
        U(
            "A mi me encanta ir al cine los domingos.",
            E(
                "A mi",
                "A mí",
                SPELL,
                "After a preposition, the pronoun 'mí' takes an accent (unlike the possessive 'mi').",
            ),
        ),
        U(
            "¿Qué tipo de música tú escuchas?",
            E(
                "Qué tipo de música tú escuchas",
                "Qué tipo de música escuchas",
                QUEST,
                "In a question the subject goes after the verb, or is simply left out: 'Qué tipo de música escuchas' (or 'Qué tipo de música escuchas tú').",
            ),
            natives=EN,
        ),
        U(
            "En mi tiempo libre, yo y mi novio vamos a conciertos.",
            E(
                "yo y mi novio",
                "mi novio y yo",
                PRON,
                "In Spanish, 'yo' goes last in a list of people: 'mi novio y yo'.",
            ),
        ),
    ),
    "Small talk": (
        U(
            "Hoy es muy frío, ¿verdad?",
            E("es muy frío", "hace mucho frío", COLL, "Weather takes 'hacer': 'hace mucho frío'."),
        ),
        U(
            "Soy aburrido, no hay nada que hacer hoy.",
            E(
                "Soy aburrido",
                "Estoy aburrido",
                WORD,
                "'Estar aburrido' means you feel bored; 'ser aburrido' means you are a boring person.",
            ),
        ),
        U(
            "Estoy muy embarazada porque olvidé el cumpleaños de mi amiga.",
            E(
                "embarazada",
                "avergonzada",
                FALSE,
                "'Embarazada' means pregnant; 'embarrassed' is 'avergonzada'.",
            ),
            natives=EN,
        ),
        U(
            "Lo siento, estoy tarde.",
            E(
                "estoy tarde",
                "llego tarde",
                WORD,
                "Spanish says 'llego tarde' (I arrive late), not 'estoy tarde': 'llego tarde' (or 'llegué tarde').",
            ),
            natives=EN,
        ),
        U(
            "Tuve un buen tiempo en la fiesta de Marta.",
            E(
                "Tuve un buen tiempo",
                "Lo pasé muy bien",
                COLL,
                "'To have a good time' is 'pasarlo bien'; 'buen tiempo' is good weather: 'Lo pasé muy bien' (or 'Me lo pasé muy bien'), and in Latin America 'Lo pasé' (or 'La pasé').",
            ),
            natives=EN,
        ),
        U(
            "Mis vecinos son muy simpaticos, siempre me saludan.",
            E("simpaticos", "simpáticos", SPELL, "'Simpáticos' carries a written accent on 'pá'."),
        ),
        U(
            "Tienes razón, hace sentido.",
            E(
                "hace sentido",
                "tiene sentido",
                COLL,
                "In Spanish an idea 'tiene sentido'; 'hace sentido' copies English 'makes sense'.",
            ),
            natives=EN,
        ),
        U(
            "Mi cumpleaños es en el dieciocho de mayo.",
            E(
                "es en el dieciocho",
                "es el dieciocho",
                PREP,
                "Dates take no preposition: 'mi cumpleaños es el 18 de mayo'.",
            ),
            natives=EN,
        ),
        U(
            "Espero que tienes un buen fin de semana.",
            E(
                "tienes",
                "tengas",
                TENSE,
                "After 'espero que', Spanish uses the subjunctive: 'tengas'.",
            ),
        ),
        U(
            "Sí claro, podemos tomar un café mañana.",
            E(
                "Sí claro",
                "Sí, claro",
                COMMA,
                "Put a comma after 'sí' when another word follows: 'Sí, claro'.",
            ),
        ),
        U(
            "Mi hermano es más alto que mí.",
            E(
                "que mí",
                "que yo",
                PRON,
                "After 'que' in a comparison, use 'yo': 'más alto que yo'.",
            ),
        ),
        U(
            "La gente aquí son muy amables.",
            E(
                "La gente aquí son muy amables",
                "La gente aquí es muy amable",
                SVA,
                "'La gente' is grammatically singular: 'la gente es amable'.",
            ),
            natives=EN,
        ),
    ),
    "Business emails": (
        U(
            "Querido señor Pérez, te escribo para preguntar por la factura.",
            E(
                "Querido señor Pérez",
                "Estimado señor Pérez",
                WORD,
                "'Querido' is for friends and family; formal emails start with 'Estimado'.",
            ),
            E(
                "te escribo",
                "le escribo",
                PRON,
                "In a formal email, address the person as 'usted': 'le escribo'.",
            ),
        ),
        U(
            "Le envío el documento atachado.",
            E(
                "atachado",
                "adjunto",
                WORD,
                "'Attached' is 'adjunto' in Spanish; 'atachado' is an anglicism.",
            ),
            natives=EN,
        ),
        U(
            "Espero de recibir su respuesta pronto.",
            E(
                "Espero de recibir",
                "Espero recibir",
                PREP,
                "'Esperar' takes the infinitive directly, without 'de'.",
            ),
            natives=("Italian",),
        ),
        U(
            "Por favor, confírmeme su asistencia antes de viernes.",
            E(
                "antes de viernes",
                "antes del viernes",
                ART,
                "Days of the week need the article: 'antes del viernes'.",
            ),
        ),
        U(
            "Necesito que usted me manda el contrato firmado.",
            E("manda", "mande", TENSE, "After 'necesito que', use the subjunctive: 'mande'."),
        ),
        U(
            "Estoy escribiendo para informarle sobre el cambio de fecha.",
            E(
                "Estoy escribiendo",
                "Le escribo",
                TENSE,
                "Spanish uses the simple present here, not the progressive: 'Le escribo para…'.",
            ),
            natives=EN,
        ),
        U(
            "Si tiene alguna pregunta no dude en contactarme.",
            E(
                "pregunta no dude",
                "pregunta, no dude",
                COMMA,
                "When the 'si' clause comes first, put a comma after it.",
            ),
        ),
        U(
            "Mi jefe me pidió que le envíe los datos de ventas.",
            E(
                "envíe",
                "enviara",
                TENSE,
                "After a past verb like 'me pidió que', the subjunctive is in the past: 'enviara' (or 'enviase').",
            ),
        ),
        U(
            "Quería preguntarle si es posible de cambiar la fecha de entrega.",
            E(
                "posible de cambiar",
                "posible cambiar",
                PREP,
                "After 'es posible', the infinitive follows directly, without 'de'.",
            ),
            natives=("French",),
        ),
        U(
            "Le agradecería si podría enviarme la factura.",
            E(
                "podría",
                "pudiera",
                TENSE,
                "After 'le agradecería si', use the imperfect subjunctive: 'pudiera' (or 'pudiese').",
            ),
        ),
        U(
            "Actualmente, no recibí el pago todavía.",
            E(
                "Actualmente",
                "En realidad",
                FALSE,
                "'Actualmente' means 'currently'; 'actually' is 'En realidad' (or 'De hecho').",
            ),
            natives=EN,
        ),
        U(
            "El cliente quiere saber cuándo el pedido llegará.",
            E(
                "cuándo el pedido llegará",
                "cuándo llegará el pedido",
                QUEST,
                "In indirect questions, too, the verb comes right after 'cuándo': 'cuándo llegará el pedido'.",
            ),
        ),
    ),
    "Health": (
        U(
            "Comí demasiado queso y ahora estoy constipado.",
            E(
                "estoy constipado",
                "estoy estreñido",
                FALSE,
                "'Constipado' means having a cold; 'constipated' is 'estreñido'.",
            ),
            natives=EN,
        ),
        U(
            "Me duele mi cabeza desde esta mañana.",
            E(
                "Me duele mi cabeza",
                "Me duele la cabeza",
                ART,
                "With body parts Spanish uses the article, not the possessive: 'me duele la cabeza'.",
            ),
        ),
        U(
            "Yo duele la espalda cuando trabajo en el ordenador.",
            E("Yo duele", "Me duele", PRON, "'Doler' works like 'gustar': 'me duele la espalda'."),
            natives=EN,
        ),
        U(
            "El médico me dijo que tomo estas pastillas dos veces al día.",
            E(
                "tomo",
                "tomara",
                TENSE,
                "After 'me dijo que' with an instruction, use the subjunctive: 'tomara' (or 'tomase').",
            ),
        ),
        U(
            "Mi madre está en el hospital porque tiene una infección muy seria.",
            E(
                "muy seria",
                "muy grave",
                WORD,
                "For an illness, 'serious' is 'grave'; 'serio' is for people and matters.",
            ),
            natives=EN,
        ),
        U(
            "Me rompió la pierna el año pasado esquiando.",
            E(
                "Me rompió",
                "Me rompí",
                SVA,
                "You broke it yourself, so the verb is first person: 'me rompí'.",
            ),
        ),
        U(
            "Tengo una alergia a los gatos.",
            E(
                "una alergia",
                "alergia",
                ART,
                "Spanish usually says 'tengo alergia a…', without 'una'.",
            ),
            natives=EN,
        ),
        U(
            "Necesito un receta para estos antibióticos.",
            E("un receta", "una receta", ART, "'Receta' is feminine: 'una receta'."),
        ),
        U(
            "Si comes mas verduras, te sentirás mejor.",
            E(
                "mas",
                "más",
                SPELL,
                "'Más' (more) has a written accent; 'mas' without it means 'but'.",
            ),
        ),
        U(
            "Voy al gimnasio por ponerme en forma.",
            E(
                "por ponerme",
                "para ponerme",
                PREP,
                "For a goal, use 'para': 'para ponerme en forma'.",
            ),
        ),
        U(
            "La gripe me dejó muy debil.",
            E(
                "debil",
                "débil",
                SPELL,
                "'Débil' is stressed on the first syllable, so it needs a written accent.",
            ),
        ),
        U(
            "Después de correr, siempre estiro mis piernas.",
            E(
                "mis piernas",
                "las piernas",
                ART,
                "For your own body parts, Spanish uses the article: 'estiro las piernas'.",
            ),
        ),
    ),
    "Technology": (
        U(
            "Compré tres DVD's de películas clásicas.",
            E("DVD's", "DVD", APOS, "Spanish never forms plurals with an apostrophe: 'tres DVD'."),
        ),
        U(
            "Quiero recordar la reunión para verla después.",
            E("recordar", "grabar", FALSE, "'Recordar' means to remember; to record is 'grabar'."),
            natives=EN,
        ),
        U(
            "Mi computadora no está trabajando bien.",
            E(
                "no está trabajando",
                "no funciona",
                WORD,
                "Machines 'funcionan'; 'trabajar' is for people: 'no funciona' (or 'no está funcionando').",
            ),
            natives=EN,
        ),
        U(
            "Uso el móvil por leer las noticias.",
            E("por leer", "para leer", PREP, "For a purpose, use 'para'."),
        ),
        U(
            "¿Sabes como funciona esta aplicación?",
            E(
                "como",
                "cómo",
                SPELL,
                "In direct and indirect questions, 'cómo' carries a written accent.",
            ),
        ),
        U(
            "La pantalla de mi portátil está rompida.",
            E("rompida", "rota", TENSE, "'Romper' has an irregular participle: 'roto/rota'."),
        ),
        U(
            "Cuando era niña, no tuvimos internet en casa.",
            E(
                "no tuvimos",
                "no teníamos",
                TENSE,
                "Describing how things were in the past takes the imperfect: 'no teníamos'.",
            ),
        ),
        U(
            "Me gusta mucho la tecnología, pero no me gusta las redes sociales.",
            E(
                "no me gusta las",
                "no me gustan las",
                SVA,
                "'Las redes sociales' is plural, so 'gustan'.",
            ),
        ),
        U(
            "Ayer he comprado un móvil nuevo.",
            E("he comprado", "compré", TENSE, "With 'ayer', use the preterite: 'compré'."),
        ),
        U(
            "Mi portátil va muy lento, ¿tú sabes porqué?",
            E(
                "porqué",
                "por qué",
                SPELL,
                "In questions, 'why' is written as two words with an accent: 'por qué'.",
            ),
        ),
        U(
            "Hay un problema con el impresor de la oficina.",
            E("el impresor", "la impresora", ART, "The machine is 'la impresora' (feminine)."),
        ),
        U(
            "¿Dónde yo puedo descargar la aplicación?",
            E(
                "Dónde yo puedo",
                "Dónde puedo",
                QUEST,
                "In questions the subject goes after the verb or is left out: '¿Dónde puedo…?'",
            ),
            natives=EN,
        ),
    ),
    "Culture": (
        U(
            "En los 90's mi familia vivía en Texas.",
            E(
                "90's",
                "90",
                APOS,
                "Spanish writes decades without an apostrophe: 'los 90' or 'los noventa'.",
            ),
            natives=EN,
        ),
        U(
            "Este libro fue escribido por una autora chilena.",
            E("escribido", "escrito", TENSE, "'Escribir' has an irregular participle: 'escrito'."),
        ),
        U(
            "Las pinturas de Goya me parecen muy oscuro.",
            E(
                "muy oscuro",
                "muy oscuras",
                PLUR,
                "The adjective agrees with 'las pinturas', feminine plural: 'oscuras'.",
            ),
        ),
        U(
            "El Guernica es en el museo Reina Sofía.",
            E(
                "es en el museo",
                "está en el museo",
                WORD,
                "To say where a thing is, use 'estar': 'está en el museo'.",
            ),
        ),
        U(
            "Fui a la librería para tomar prestado un libro.",
            E(
                "la librería",
                "la biblioteca",
                FALSE,
                "A 'librería' is a bookshop; to borrow books you go to 'la biblioteca'.",
            ),
            natives=EN,
        ),
        U(
            "Me gusta mucho la arte moderna.",
            E(
                "la arte moderna",
                "el arte moderno",
                ART,
                "'Arte' takes 'el' in the singular, and the adjective is then masculine: 'el arte moderno'.",
            ),
        ),
        U(
            "Yo he visitado Barcelona hace dos años.",
            E("he visitado", "visité", TENSE, "With 'hace dos años', use the preterite: 'visité'."),
        ),
        U(
            "Mi amiga me invitó para la boda de su hermana.",
            E(
                "me invitó para la boda",
                "me invitó a la boda",
                PREP,
                "'Invitar' takes 'a': 'invitar a una boda'.",
            ),
        ),
        U(
            "La cultura española es muy diferente que la cultura alemana.",
            E("diferente que", "diferente de", PREP, "'Diferente' is followed by 'de' (or 'a')."),
            natives=(*EN, "German"),
        ),
        U(
            "Me encanta la música latina, especialmente el salsa.",
            E("el salsa", "la salsa", ART, "The music and dance 'salsa' is feminine: 'la salsa'."),
        ),
        U(
            "Quiero ver el museo de arte contemporario.",
            E("contemporario", "contemporáneo", SPELL, "The Spanish word is 'contemporáneo'."),
            natives=EN,
        ),
        U(
            "¿Cuándo el festival empieza?",
            E(
                "Cuándo el festival empieza",
                "Cuándo empieza el festival",
                QUEST,
                "In Spanish questions the verb normally comes straight after the question word.",
            ),
        ),
    ),
}

CLEAN: dict[str, tuple[U, ...]] = {
    "Travel": (
        U("Nunca he estado en España antes, es mi primera vez."),
        U("El guía nos explicó la historia de la ciudad."),
        U("Viajamos en tren por toda Europa durante dos semanas."),
        U("Prefiero viajar en tren porque puedo leer durante el viaje."),
        U("Reservé una habitación con vistas al mar."),
    ),
    "Job interviews": (
        U("Tengo cinco años de experiencia como enfermero."),
        U("Mi mayor debilidad es que a veces soy demasiado perfeccionista."),
        U("Me gusta trabajar en equipo y también hablo tres idiomas."),
        U("La entrevista es a las diez, pero voy a llegar un poco antes."),
        U("Mis compañeros dicen que soy una persona muy paciente."),
    ),
    "Food and restaurants": (
        U("Para mí, un café con leche y un cruasán, por favor."),
        U("No como carne porque soy vegetariana desde hace cinco años."),
        U("¿Qué me recomiendas, el pescado o la carne?"),
        U("Mi abuela hace la mejor tortilla del mundo."),
        U("Me encanta la comida picante, pero mi novio no la soporta."),
    ),
    "Daily routine": (
        U("Me despierto a las siete y me ducho enseguida."),
        U("Los sábados hago la compra y limpio la casa."),
        U("Antes de dormir leo un rato para relajarme."),
        U("Trabajo en casa, así que no tengo que tomar el metro."),
        U("Por la mañana bebo café y por la tarde, té."),
    ),
    "Hobbies": (
        U("Me gusta mucho leer novelas de misterio."),
        U("El año pasado aprendí a bucear en Tailandia."),
        U("Los fines de semana me gusta ir a pescar con mi padre."),
        U("Canto en un coro y damos conciertos en Navidad."),
        U("Desde hace dos años voy a clases de cerámica."),
    ),
    "Small talk": (
        U("¿Qué tal el fin de semana? ¿Hiciste algo interesante?"),
        U("Hace mucho tiempo que no te veo, ¿qué es de tu vida?"),
        U("Ayer hizo mucho calor y estuvimos todo el día en la piscina."),
        U("Estoy de acuerdo contigo, el invierno aquí es demasiado largo."),
        U("Mi ciudad es pequeña pero muy bonita, tiene un castillo medieval."),
    ),
    "Business emails": (
        U("Estimada señora López: le escribo para confirmar la reunión del jueves."),
        U("Adjunto le envío el informe que me pidió."),
        U("Le agradecería una respuesta antes del viernes."),
        U("Quedo a su disposición para cualquier consulta."),
        U("Las facturas de octubre ya están pagadas."),
    ),
    "Health": (
        U("Hago ejercicio tres veces a la semana."),
        U("Necesito una cita con el dentista porque me duele una muela."),
        U("Fui a la farmacia a comprar algo para la gripe."),
        U("Desde que hago yoga, estoy menos estresado."),
        U("Mi hija tiene un resfriado y se ha quedado en casa."),
    ),
    "Technology": (
        U("Mi ordenador es muy lento, necesito uno nuevo."),
        U("Olvidé mi contraseña y ahora no puedo entrar en mi cuenta."),
        U("Siempre hago una copia de seguridad de mis fotos."),
        U("Esta aplicación es muy útil para aprender idiomas."),
        U("Es importante cambiar la contraseña de vez en cuando."),
    ),
    "Culture": (
        U("Picasso nació en Málaga en 1881."),
        U("Muchos turistas visitan la Alhambra cada año."),
        U("En Navidad comemos muchos dulces y cantamos villancicos."),
        U("Cuando estuve en Buenos Aires, vi un espectáculo de tango increíble."),
        U("El Día de Muertos es una fiesta muy importante en México."),
    ),
}

FOLLOW_UPS: dict[str, tuple[str, ...]] = {
    "Travel": (
        "¿Adónde te gustaría viajar el próximo año?",
        "¿Qué fue lo mejor que comiste en ese viaje?",
        "¿Prefieres planearlo todo o improvisar cuando viajas?",
        "¿Alguna vez tuviste un problema en un aeropuerto? ¿Qué pasó?",
        "¿Cómo te mueves normalmente por una ciudad nueva?",
    ),
    "Job interviews": (
        "Cuéntame un reto que tuviste en el trabajo y cómo lo resolviste.",
        "¿Por qué crees que eres la persona adecuada para este puesto?",
        "¿Dónde te ves dentro de cinco años?",
        "¿Qué es lo que más te gustaba de tu último trabajo?",
        "¿Tienes alguna pregunta sobre la empresa?",
    ),
    "Food and restaurants": (
        "¿Qué pedirías de postre?",
        "¿Cómo le preguntarías al camarero si hay platos vegetarianos?",
        "Háblame de un plato típico de tu país.",
        "¿Cocinas mucho en casa? ¿Cuál es tu especialidad?",
        "¿Cómo te quejarías con educación si la sopa estuviera fría?",
    ),
    "Daily routine": (
        "¿Cómo es una tarde normal para ti?",
        "¿En qué se diferencia tu fin de semana de un día laborable?",
        "¿Qué es lo primero que haces cuando llegas al trabajo?",
        "¿Hay algo de tu rutina que te gustaría cambiar?",
        "¿Cómo vas normalmente al trabajo?",
    ),
    "Hobbies": (
        "¿Cómo empezaste con ese pasatiempo?",
        "¿Cuánto tiempo le dedicas cada semana?",
        "¿Hay algún pasatiempo que te gustaría probar?",
        "¿Prefieres las actividades en grupo o a solas?",
        "¿Qué le recomendarías a alguien que quiere empezar?",
    ),
    "Small talk": (
        "¿Tienes planes para el fin de semana?",
        "¿Cuánto tiempo llevas viviendo en tu ciudad?",
        "¿Qué haces para relajarte después del trabajo?",
        "¿Has visto alguna película buena últimamente?",
        "¿Qué tiempo hace hoy donde estás?",
    ),
    "Business emails": (
        "Ahora escribe la frase de despedida de ese correo.",
        "¿Cómo pedirías a un compañero más tiempo para un proyecto?",
        "¿Cómo recordarías con educación a un cliente una factura pendiente?",
        "Escribe una respuesta breve para aceptar la reunión.",
        "¿Cómo empezarías un correo a alguien que no conoces?",
    ),
    "Health": (
        "¿Qué haces para cuidarte durante la semana?",
        "¿Cómo le explicarías tus síntomas a un médico?",
        "¿Duermes bien? ¿Qué te ayuda?",
        "¿Con qué frecuencia haces deporte?",
        "¿Qué le dirías al farmacéutico si necesitaras algo para la tos?",
    ),
    "Technology": (
        "¿Qué aplicación usas más cada día?",
        "¿Cómo guardas tus contraseñas de forma segura?",
        "¿Crees que pasamos demasiado tiempo con el móvil?",
        "¿Cómo le explicarías el problema a un técnico?",
        "¿Sin qué aparato no podrías vivir?",
    ),
    "Culture": (
        "¿Qué tradición de tu país sorprende a los extranjeros?",
        "¿Qué libro o película me recomiendas, y por qué?",
        "¿Has ido a algún museo hace poco? ¿Qué viste?",
        "¿Qué música se escucha en tu ciudad?",
        "¿Cuál es tu fiesta favorita de tu país?",
    ),
}

TOPIC_NAMES = {
    "Travel": "Viajes",
    "Job interviews": "Entrevistas de trabajo",
    "Food and restaurants": "Comida y restaurantes",
    "Daily routine": "Rutina diaria",
    "Hobbies": "Pasatiempos",
    "Small talk": "Conversación informal",
    "Business emails": "Correos de trabajo",
    "Health": "Salud",
    "Technology": "Tecnología",
    "Culture": "Cultura",
}

VOICE = TutorVoice(
    corrections=(
        "Casi. Se dice «{correction}», no «{excerpt}». ({explanation})",
        "Buen intento. Un pequeño cambio: «{excerpt}» → «{correction}». ({explanation})",
        "Muy bien, pero en vez de «{excerpt}» decimos «{correction}». ({explanation})",
        "Te entiendo perfectamente, aunque lo correcto es «{correction}» y no «{excerpt}». ({explanation})",
        "Ojo con «{excerpt}»: mejor «{correction}». ({explanation})",
        "¡Casi perfecto! Solo cambia «{excerpt}» por «{correction}». ({explanation})",
        "Una corrección: «{correction}», no «{excerpt}». ({explanation})",
        "Cuidado: un nativo diría «{correction}» en lugar de «{excerpt}». ({explanation})",
    ),
    recasts=(
        "Entonces: «{fixed}»",
        "La frase completa: «{fixed}»",
        "Así queda: «{fixed}»",
        "Corregida: «{fixed}»",
    ),
    second_error=(
        "Y otra cosa: «{correction}» en lugar de «{excerpt}». ({explanation})",
        "Además, «{excerpt}» debería ser «{correction}». ({explanation})",
        "Un detalle más: di «{correction}», no «{excerpt}». ({explanation})",
    ),
    praise=(
        "¡Perfecto, todo correcto!",
        "Muy natural, ¡bien hecho!",
        "Muy bien dicho, sin errores.",
        "¡Genial! Suena muy natural.",
        "Excelente frase.",
        "¡Muy bien!",
        "Correctísimo.",
        "Eso está perfecto.",
    ),
    openers=(
        "¡Hola, {name}! El tema de hoy es «{topic}».",
        "¡Qué bien verte, {name}! Hoy practicamos el tema «{topic}».",
        "Hola, {name}. ¿Empezamos? Tema de hoy: {topic}.",
        "Buenas, {name}. Hoy vamos a conversar sobre «{topic}».",
    ),
    retry=(
        "¿Puedes repetir la frase?",
        "¿La intentas otra vez?",
        "Repítela y seguimos.",
    ),
)

RATING_COMMENTS = (
    "Clear explanation, thanks!",
    "Muy útil, gracias.",
    "The explanation in English helps a lot.",
    "No entendí la corrección.",
    "A bit too fast for me.",
    "Buena pregunta para seguir practicando.",
)

CORPUS = LanguageCorpus(
    language="Spanish",
    natives={
        "English": 6,
        "German": 1.5,
        "French": 1,
        "Italian": 1,
        "Portuguese": 0.5,
        "Mandarin": 1,
        "Japanese": 0.5,
        "Polish": 0.5,
    },
    topic_names=TOPIC_NAMES,
    utterances=UTTERANCES,
    clean=CLEAN,
    follow_ups=FOLLOW_UPS,
    voice=VOICE,
    rating_comments=RATING_COMMENTS,
)
