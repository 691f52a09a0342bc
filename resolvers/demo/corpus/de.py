"""German as the target language: what learners say per topic, and how the tutor answers.

Typical trouble spots: gender and case after prepositions (mit dem, in einem), the verb in
second position after a fronted adverb, 'sein' in the perfect of movement verbs, plural
forms, reflexive and dative pronouns, capitalisation, commas before 'dass' clauses, and
false friends for English speakers (bekommen, sensibel, aktuell). Tutor replies are in
German (du) with the explanation in simple English in brackets.
"""

from __future__ import annotations

from resolvers.demo.corpus.model import *  # the shorthand: pairs, E, U, speaker groups

UTTERANCES: dict[str, tuple[U, ...]] = {
    "Travel": (
        U(
            "Letzten Sommer habe ich nach Italien gefahren.",
            E(
                "habe",
                "bin",
                TENSE,
                "Verbs of movement like 'fahren' form the perfect with 'sein': 'bin gefahren'.",
            ),
        ),
        U(
            "Wir sind mit der Zug nach Berlin gefahren.",
            E(
                "mit der Zug",
                "mit dem Zug",
                ART,
                "'Mit' takes the dative, and 'Zug' is masculine: 'mit dem Zug'.",
            ),
        ),
        U(
            "Morgen ich fliege nach Wien.",
            E(
                "Morgen ich fliege",
                "Morgen fliege ich",
                ADV,
                "When a time word starts the sentence, the verb comes second, before the subject.",
            ),
        ),
        U(
            "Wann der Zug fährt ab?",
            E(
                "Wann der Zug fährt ab",
                "Wann fährt der Zug ab",
                QUEST,
                "In a W-question, the verb comes right after the question word.",
            ),
        ),
        U(
            "Nächste Woche fahre ich nach die Schweiz.",
            E(
                "nach die Schweiz",
                "in die Schweiz",
                PREP,
                "Countries with an article, like 'die Schweiz', take 'in', not 'nach'.",
            ),
        ),
        U(
            "Ich freue mir schon auf den Urlaub.",
            E(
                "freue mir",
                "freue mich",
                PRON,
                "'Sich freuen' takes the accusative: 'ich freue mich'.",
            ),
        ),
        U(
            "In Berlin gibt es viele Museums.",
            E("Museums", "Museen", PLUR, "The plural of 'Museum' is 'Museen'."),
        ),
        U(
            "Wir haben am Strand viele Fotos genommen.",
            E(
                "Fotos genommen",
                "Fotos gemacht",
                COLL,
                "In German you 'make' photos: 'Fotos machen', so 'Fotos gemacht' (or 'Fotos aufgenommen').",
            ),
            natives=(*EN, "Spanish", "French"),
        ),
        U(
            "Ich bin angekommen gestern Abend in Hamburg.",
            E(
                "bin angekommen gestern Abend in Hamburg",
                "bin gestern Abend in Hamburg angekommen",
                ADV,
                "The time comes before the place, and the participle goes to the very end: 'Ich bin gestern Abend in Hamburg angekommen' (or 'Gestern Abend bin ich in Hamburg angekommen').",
            ),
        ),
        U(
            "Die Straße zum Strand war sehr schmall.",
            E("schmall", "schmal", SPELL, "'Schmal' is written with one 'l'."),
        ),
        U(
            "Entschuldigung, wo ist die nächste U-Bahn Station?",
            E(
                "U-Bahn Station",
                "U-Bahn-Station",
                SPELL,
                "German compounds are written together; with 'U-Bahn' you join them with hyphens: 'U-Bahn-Station'.",
            ),
        ),
        U(
            "Ich glaube das Hotel ist zu teuer für uns.",
            E(
                "glaube das",
                "glaube, das",
                COMMA,
                "A comma separates 'ich glaube' from the clause that follows: 'glaube, das Hotel ist zu teuer für uns' (or 'glaube, dass das Hotel zu teuer für uns ist').",
            ),
        ),
        U(
            "Meine Eltern kommt im August mit nach Spanien.",
            E("Eltern kommt", "Eltern kommen", SVA, "'Eltern' is plural, so the verb is 'kommen'."),
        ),
    ),
    "Job interviews": (
        U(
            "Ich arbeite hier für drei Jahre.",
            E(
                "für drei Jahre",
                "seit drei Jahren",
                PREP,
                "For something that started in the past and still goes on, German uses 'seit' + dative: 'seit drei Jahren'.",
            ),
            natives=EN,
        ),
        U(
            "Ich will ein guter Ingenieur bekommen.",
            E("bekommen", "werden", FALSE, "'Bekommen' means 'to get'; 'to become' is 'werden'."),
            natives=EN,
        ),
        U(
            "Ich interessiere mich an dieser Stelle, weil ich gern mit Kunden arbeite.",
            E(
                "mich an dieser Stelle",
                "mich für diese Stelle",
                PREP,
                "'Sich interessieren' takes 'für' + accusative: 'für diese Stelle'.",
            ),
        ),
        U(
            "Ich habe viel Erfahrung in Marketing.",
            E(
                "in Marketing",
                "im Marketing",
                ART,
                "A field of work takes the article here: 'im Marketing'.",
            ),
        ),
        U(
            "Ich spreche Englisch, Spanisch und ein bisschen deutsch.",
            E(
                "deutsch",
                "Deutsch",
                SPELL,
                "As a noun, the name of a language is capitalised: 'Deutsch'.",
            ),
        ),
        U(
            "Ich habe mein Studium in 2020 abgeschlossen.",
            E(
                "in 2020",
                "2020",
                PREP,
                "Years take no preposition in German: '2020' (or 'im Jahr 2020').",
            ),
            natives=EN,
        ),
        U(
            "Meine Kollegen sagt, dass ich sehr hilfsbereit bin.",
            E(
                "Kollegen sagt",
                "Kollegen sagen",
                SVA,
                "'Meine Kollegen' is plural, so the verb is 'sagen'.",
            ),
        ),
        U(
            "Was sind meine Aufgaben in diese Position?",
            E(
                "in diese Position",
                "in dieser Position",
                ART,
                "'In' for a place or situation (where?) takes the dative: 'in dieser Position'.",
            ),
        ),
        U(
            "Können Sie mir sagen, wann kann ich anfangen?",
            E(
                "wann kann ich anfangen",
                "wann ich anfangen kann",
                QUEST,
                "In an indirect question, the verb goes to the end: 'wann ich anfangen kann'.",
            ),
        ),
        U(
            "Ich treffe immer sensible Entscheidungen.",
            E(
                "sensible Entscheidungen",
                "vernünftige Entscheidungen",
                FALSE,
                "German 'sensibel' means sensitive; 'sensible' is 'vernünftig': 'vernünftige Entscheidungen' (or 'sinnvolle Entscheidungen').",
            ),
            natives=EN,
        ),
        U(
            "In meinem letzten Job habe ich oft schnelle Entscheidungen gemacht.",
            E(
                "Entscheidungen gemacht",
                "Entscheidungen getroffen",
                COLL,
                "A decision takes 'treffen' in German: 'Entscheidungen treffen'.",
            ),
            natives=EN + ROMANCE,
        ),
        U(
            "Ich arbeite gern mit Menschen, deshalb ich möchte diese Stelle.",
            E(
                "deshalb ich möchte",
                "deshalb möchte ich",
                ADV,
                "After 'deshalb', the verb comes next, before the subject: 'deshalb möchte ich'.",
            ),
        ),
        U(
            "Die Firma's Werte sind mir sehr wichtig.",
            E(
                "Die Firma's Werte",
                "Die Werte der Firma",
                APOS,
                "German doesn't use an apostrophe + s for possession; use the genitive: 'Die Werte der Firma' (or 'Die Firmenwerte').",
            ),
            natives=EN,
        ),
    ),
    "Food and restaurants": (
        U(
            "Ich möchte ein Glas von Wasser, bitte.",
            E(
                "ein Glas von Wasser",
                "ein Glas Wasser",
                PREP,
                "German says 'ein Glas Wasser', without 'von'.",
            ),
            natives=EN + ROMANCE,
        ),
        U(
            "Ich nehme der Fisch mit Kartoffeln.",
            E(
                "der Fisch",
                "den Fisch",
                ART,
                "'Nehmen' takes the accusative, and 'Fisch' is masculine: 'den Fisch'.",
            ),
        ),
        U(
            "Ich habe gestern einen Kuchen gebackt.",
            E("gebackt", "gebacken", TENSE, "'Backen' has the participle 'gebacken'."),
        ),
        U(
            "Die Kartoffeln ist zu salzig.",
            E(
                "Kartoffeln ist",
                "Kartoffeln sind",
                SVA,
                "'Kartoffeln' is plural, so the verb is 'sind'.",
            ),
        ),
        U(
            "Ich trinke jeden Morgen ein Kaffee.",
            E(
                "ein Kaffee",
                "einen Kaffee",
                ART,
                "'Kaffee' is masculine and the object of 'trinken', so it takes the accusative: 'einen Kaffee'.",
            ),
        ),
        U(
            "Ich mag nicht Tomaten.",
            E(
                "mag nicht Tomaten",
                "mag keine Tomaten",
                WORD,
                "A noun without an article is negated with 'kein': 'ich mag keine Tomaten'.",
            ),
        ),
        U(
            "Wir haben ein Tisch für vier Personen reserviert.",
            E(
                "ein Tisch",
                "einen Tisch",
                ART,
                "'Tisch' is masculine and the object here: 'einen Tisch'.",
            ),
        ),
        U(
            "In Deutschland man isst oft Brot zum Abendessen.",
            E(
                "man isst",
                "isst man",
                ADV,
                "When something else starts the sentence, the verb comes before the subject: 'In Deutschland isst man…'.",
            ),
        ),
        U(
            "Zwei Tomatens und eine Gurke, bitte.",
            E(
                "Tomatens",
                "Tomaten",
                PLUR,
                "The plural of 'Tomate' is 'Tomaten', with no extra -s.",
            ),
        ),
        U(
            "Wir haben in ein kleines Restaurant gegessen.",
            E(
                "in ein kleines Restaurant",
                "in einem kleinen Restaurant",
                ART,
                "'In' for a location (where?) takes the dative: 'in einem kleinen Restaurant'.",
            ),
        ),
        U(
            "Kann ich das Menü sehen, bitte?",
            E(
                "das Menü",
                "die Speisekarte",
                FALSE,
                "The list of dishes is 'die Speisekarte' (or 'die Karte'); 'das Menü' is a set meal.",
            ),
            natives=(*EN, "French", "Italian"),
        ),
        U(
            "Entschuldigung wir möchten bestellen.",
            E(
                "Entschuldigung wir",
                "Entschuldigung, wir",
                COMMA,
                "Put a comma after 'Entschuldigung' when it opens the sentence.",
            ),
        ),
        U(
            "Ich esse nie Frühstück, ich trinke nur Kaffee.",
            E(
                "esse nie Frühstück",
                "frühstücke nie",
                COLL,
                "German uses the verb 'frühstücken' for having breakfast.",
            ),
            natives=EN,
        ),
    ),
    "Daily routine": (
        U(
            "Ich wache um sechs auf, aber ich stehe auf erst um sieben.",
            E(
                "stehe auf erst um sieben",
                "stehe erst um sieben auf",
                ADV,
                "The separable prefix 'auf' goes to the end; 'erst um sieben' comes before it.",
            ),
        ),
        U(
            "Meine Tochter gehen um acht Uhr in die Schule.",
            E(
                "Tochter gehen",
                "Tochter geht",
                SVA,
                "'Meine Tochter' is singular (she), so the verb is 'geht'.",
            ),
        ),
        U(
            "Nach dem Frühstück putze ich meine Zähne.",
            E(
                "putze ich meine Zähne",
                "putze ich mir die Zähne",
                PRON,
                "German says 'sich die Zähne putzen', with a dative pronoun instead of 'meine'.",
            ),
            natives=EN,
        ),
        U(
            "Am Abend ich sehe fern oder lese ein Buch.",
            E(
                "Am Abend ich sehe",
                "Am Abend sehe ich",
                ADV,
                "When a time phrase starts the sentence, the verb comes second: 'Am Abend sehe ich…'.",
            ),
        ),
        U(
            "Um Mittag esse ich mit meinen Kollegen in der Kantine.",
            E("Um Mittag", "Mittags", PREP, "Say 'mittags' or 'zu Mittag', not 'um Mittag'."),
        ),
        U(
            "Ich habe heute Morgen mein Bus verpasst.",
            E("mein Bus", "meinen Bus", ART, "'Bus' is masculine and the object: 'meinen Bus'."),
        ),
        U(
            "Mein Kinder spielen nach der Schule im Garten.",
            E(
                "Mein Kinder",
                "Meine Kinder",
                PLUR,
                "With a plural noun, the possessive takes -e: 'meine Kinder'.",
            ),
        ),
        U(
            "Ich gehe um fünf Uhr zu Hause.",
            E(
                "zu Hause",
                "nach Hause",
                PREP,
                "Going home is 'nach Hause'; 'zu Hause' means being at home.",
            ),
        ),
        U(
            "Ich fahre mit der Fahrrad zur Arbeit.",
            E(
                "mit der Fahrrad",
                "mit dem Fahrrad",
                ART,
                "'Fahrrad' is neuter, and 'mit' takes the dative: 'mit dem Fahrrad'.",
            ),
        ),
        U(
            "Morgens bringe ich meine zwei Kinds in den Kindergarten.",
            E("Kinds", "Kinder", PLUR, "The plural of 'Kind' is 'Kinder'."),
        ),
        U(
            "Ich stehe um halb sieben auf, dann ich mache Frühstück.",
            E(
                "dann ich mache",
                "dann mache ich",
                ADV,
                "After 'dann', the verb comes before the subject: 'dann mache ich'.",
            ),
        ),
        U(
            "Um wieviel Uhr fängst du an zu arbeiten?",
            E("wieviel", "wie viel", SPELL, "'Wie viel' is written as two words."),
        ),
        U(
            "Mein Mann hat gesagt dass er heute später nach Hause kommt.",
            E(
                "gesagt dass",
                "gesagt, dass",
                COMMA,
                "A clause starting with 'dass' is always separated by a comma.",
            ),
        ),
    ),
    "Hobbies": (
        U(
            "Ich habe am Wochenende ein spannendes Buch gelest.",
            E("gelest", "gelesen", TENSE, "'Lesen' has the participle 'gelesen'."),
        ),
        U(
            "Mein liebstes Hobby ist kochen.",
            E(
                "kochen",
                "Kochen",
                SPELL,
                "Here 'Kochen' is a noun (the activity), so it is capitalised.",
            ),
        ),
        U(
            "Ich spiele die Gitarre in einer Band.",
            E(
                "spiele die Gitarre",
                "spiele Gitarre",
                ART,
                "Instruments usually take no article: 'ich spiele Gitarre'.",
            ),
            natives=EN + ROMANCE,
        ),
        U(
            "Letztes Wochenende wir sind in den Bergen gewandert.",
            E(
                "wir sind",
                "sind wir",
                ADV,
                "After a time phrase at the start, the verb comes second: 'Letztes Wochenende sind wir…'.",
            ),
        ),
        U(
            "Ich habe Angst von Spinnen, deshalb gehe ich nicht gern campen.",
            E(
                "Angst von",
                "Angst vor",
                PREP,
                "'Angst' is followed by 'vor' + dative: 'Angst vor Spinnen'.",
            ),
        ),
        U(
            "Ich warte für das neue Album meiner Lieblingsband.",
            E("warte für", "warte auf", PREP, "'Warten' takes 'auf': 'auf das neue Album'."),
            natives=EN,
        ),
        U(
            "Meine Freunde spielt jeden Freitag Volleyball.",
            E(
                "Freunde spielt",
                "Freunde spielen",
                SVA,
                "'Meine Freunde' is plural, so the verb is 'spielen'.",
            ),
        ),
        U(
            "Ich spiele Tennis zweimal in Woche.",
            E(
                "in Woche",
                "in der Woche",
                ART,
                "Say 'zweimal in der Woche' (or 'zweimal pro Woche').",
            ),
        ),
        U(
            "Ich stricke gern, das ist sehr entspannt.",
            E(
                "entspannt",
                "entspannend",
                WORD,
                "'Entspannend' means relaxing (it relaxes you); 'entspannt' means relaxed (how you feel).",
            ),
        ),
        U(
            "Welche Musik du hörst gern?",
            E(
                "Welche Musik du hörst",
                "Welche Musik hörst du",
                QUEST,
                "In a W-question, the verb comes right after the question phrase: 'Welche Musik hörst du gern?'",
            ),
        ),
        U(
            "Mir gefällt die Filme von Fatih Akin.",
            E(
                "gefällt die Filme",
                "gefallen die Filme",
                SVA,
                "With 'gefallen', the verb agrees with what you like: 'die Filme' is plural, so 'Mir gefallen die Filme von Fatih Akin' (or 'Die Filme von Fatih Akin gefallen mir').",
            ),
        ),
        U(
            "Ich tanze seit einem Jahr Salsa und es macht mir viel Spass.",
            E(
                "Spass",
                "Spaß",
                SPELL,
                "After a long vowel, standard German (outside Switzerland) writes 'ß': 'Spaß'.",
            ),
        ),
    ),
    "Small talk": (
        U(
            "Ich bin kalt, kannst du das Fenster zumachen?",
            E(
                "Ich bin kalt",
                "Mir ist kalt",
                PRON,
                "For feeling cold, German uses the dative: 'mir ist kalt'. 'Ich bin kalt' means you are a cold person.",
            ),
        ),
        U(
            "Ich wohne hier seit zwei Jahre.",
            E(
                "seit zwei Jahre",
                "seit zwei Jahren",
                PREP,
                "'Seit' takes the dative, and the dative plural adds -n: 'seit zwei Jahren'.",
            ),
        ),
        U(
            "Ich heiße Tom und ich komme von England.",
            E(
                "komme von England",
                "komme aus England",
                PREP,
                "For where you come from, German uses 'aus': 'ich komme aus England'.",
            ),
            natives=EN,
        ),
        U(
            "Tut mir leid, ich bin spät.",
            E(
                "ich bin spät",
                "ich bin spät dran",
                WORD,
                "To say you are late, use 'ich bin spät dran' or 'ich komme zu spät'.",
            ),
            natives=EN,
        ),
        U(
            "Ich habe einen schönen Wochenende gehabt.",
            E(
                "einen schönen Wochenende",
                "ein schönes Wochenende",
                ART,
                "'Wochenende' is neuter: 'ein schönes Wochenende'.",
            ),
        ),
        U(
            "Kannst du mich morgen beim Umzug helfen?",
            E("du mich", "du mir", PRON, "'Helfen' takes the dative: 'Kannst du mir helfen?'"),
        ),
        U(
            "Was ist dein Beruf? Ich bin ein Lehrer.",
            E(
                "ein Lehrer",
                "Lehrer",
                ART,
                "For jobs after 'sein', German uses no article: 'ich bin Lehrer'.",
            ),
            natives=EN,
        ),
        U(
            "Meine Familie wohnen in Brasilien.",
            E(
                "Familie wohnen",
                "Familie wohnt",
                SVA,
                "'Familie' is singular: 'meine Familie wohnt'.",
            ),
        ),
        U(
            "Ich denke dass das eine gute Idee ist.",
            E(
                "denke dass",
                "denke, dass",
                COMMA,
                "A clause starting with 'dass' is always separated by a comma.",
            ),
        ),
        U(
            "Es war sehr schön dich zu treffen.",
            E(
                "schön dich",
                "schön, dich",
                COMMA,
                "After 'Es war schön', the 'zu' phrase is set off with a comma: 'Es war schön, dich zu treffen'.",
            ),
        ),
        U(
            "Am Freitag habe ich Geburtstag. Kommst du zu meine Party?",
            E(
                "zu meine Party",
                "zu meiner Party",
                ART,
                "'Zu' always takes the dative: 'zu meiner Party'.",
            ),
        ),
        U(
            "Ich habe 25 Jahre und studiere in Leipzig.",
            E(
                "Ich habe 25 Jahre",
                "Ich bin 25 Jahre alt",
                WORD,
                "In German you 'are' an age: 'ich bin 25 (Jahre alt)'.",
            ),
            natives=ROMANCE,
        ),
    ),
    "Business emails": (
        U(
            "Ich freue mich auf ihre Antwort.",
            E(
                "ihre Antwort",
                "Ihre Antwort",
                SPELL,
                "The polite 'Sie' forms are capitalised: 'Ihre Antwort'.",
            ),
        ),
        U(
            "Hallo Herr Weber, kannst du mir die Unterlagen schicken?",
            E(
                "kannst du mir",
                "können Sie mir",
                PRON,
                "In a business email, address a 'Herr' or 'Frau' with 'Sie': 'können Sie mir' (or 'könnten Sie mir').",
            ),
        ),
        U(
            "Ich habe die Datei attachiert.",
            E(
                "attachiert",
                "angehängt",
                WORD,
                "'To attach' a file is 'anhängen': 'ich habe die Datei angehängt' (or 'ich habe die Datei beigefügt').",
            ),
            natives=EN,
        ),
        U(
            "Unsere Firma haben beschlossen, ein neues Büro zu eröffnen.",
            E("Firma haben", "Firma hat", SVA, "'Firma' is singular: 'unsere Firma hat'."),
        ),
        U(
            "Könnten Sie mir sagen, wann ist die Lieferung fertig?",
            E(
                "wann ist die Lieferung fertig",
                "wann die Lieferung fertig ist",
                QUEST,
                "In an indirect question, the verb goes to the end.",
            ),
        ),
        U(
            "Leider ich kann morgen nicht an dem Meeting teilnehmen.",
            E(
                "Leider ich kann",
                "Leider kann ich",
                ADV,
                "After 'leider' at the start, the verb comes second: 'Leider kann ich…'.",
            ),
        ),
        U(
            "Ich habe eine Frage über die Rechnung vom März.",
            E(
                "Frage über die Rechnung",
                "Frage zur Rechnung",
                PREP,
                "A question about something is 'eine Frage zu': 'eine Frage zur Rechnung'.",
            ),
        ),
        U(
            "Anbei finden Sie die Dokumente, das Sie angefragt haben.",
            E(
                "das Sie",
                "die Sie",
                PRON,
                "The relative pronoun agrees with 'Dokumente', which is plural: 'die'.",
            ),
        ),
        U(
            "Danke für Ihre E-Mail. Ich habe alle Informationen erhaltet.",
            E("erhaltet", "erhalten", TENSE, "The participle of 'erhalten' is 'erhalten'."),
        ),
        U(
            "Ich hoffe Sie hatten ein schönes Wochenende.",
            E(
                "hoffe Sie",
                "hoffe, Sie",
                COMMA,
                "After 'ich hoffe', the following clause is separated by a comma.",
            ),
        ),
        U(
            "Ich habe gestern mit meine Chefin gesprochen.",
            E(
                "mit meine Chefin",
                "mit meiner Chefin",
                ART,
                "'Mit' takes the dative: 'mit meiner Chefin'.",
            ),
        ),
        U(
            "Wir haben diesen Monat zwei neue Kundens gewonnen.",
            E("Kundens", "Kunden", PLUR, "The plural of 'Kunde' is 'Kunden', without -s."),
        ),
        U(
            "Herr Müller's Büro ist im zweiten Stock.",
            E(
                "Herr Müller's Büro",
                "Herrn Müllers Büro",
                APOS,
                "German forms the genitive of names without an apostrophe, and 'Herr' becomes 'Herrn': 'Herrn Müllers Büro' (or 'Das Büro von Herrn Müller').",
            ),
        ),
    ),
    "Health": (
        U(
            "Meine Füße tut weh.",
            E("Füße tut", "Füße tun", SVA, "'Füße' is plural: 'meine Füße tun weh'."),
        ),
        U(
            "Ich fühle mir heute nicht so gut.",
            E(
                "fühle mir",
                "fühle mich",
                PRON,
                "'Sich fühlen' takes the accusative: 'ich fühle mich'.",
            ),
        ),
        U(
            "Ich gehe zum Arzt morgen früh.",
            E(
                "zum Arzt morgen früh",
                "morgen früh zum Arzt",
                ADV,
                "Time expressions usually come before places: 'Ich gehe morgen früh zum Arzt' (or 'Morgen früh gehe ich zum Arzt').",
            ),
        ),
        U(
            "Ich bin allergisch zu Nüssen.",
            E(
                "allergisch zu Nüssen",
                "allergisch gegen Nüsse",
                PREP,
                "'Allergisch' takes 'gegen' + accusative: 'allergisch gegen Nüsse'.",
            ),
        ),
        U(
            "Letzten Winter habe ich mein Bein gebrochen.",
            E(
                "mein Bein",
                "mir das Bein",
                PRON,
                "With body parts German uses a dative pronoun and the article: 'ich habe mir das Bein gebrochen'.",
            ),
            natives=EN,
        ),
        U(
            "Der Arzt sagte mich, dass ich mehr schlafen soll.",
            E(
                "sagte mich",
                "sagte mir",
                PRON,
                "'Sagen' takes the person in the dative: 'sagte mir'.",
            ),
        ),
        U(
            "Ich habe eine Termin beim Zahnarzt.",
            E("eine Termin", "einen Termin", ART, "'Termin' is masculine: 'einen Termin'."),
        ),
        U(
            "Ich habe seit zwei Tagen Fiber und Husten.",
            E("Fiber", "Fieber", SPELL, "'Fieber' is written with 'ie'."),
        ),
        U(
            "Ich muss ein Medikament für meinen Husten kaufen.",
            E(
                "für meinen Husten",
                "gegen meinen Husten",
                PREP,
                "Medicine is 'gegen' an illness: 'ein Medikament gegen Husten'.",
            ),
        ),
        U(
            "Ich habe letztes Jahr das Rauchen aufgehört.",
            E(
                "das Rauchen aufgehört",
                "mit dem Rauchen aufgehört",
                PREP,
                "'Aufhören' takes 'mit': 'mit dem Rauchen aufhören'.",
            ),
        ),
        U(
            "Ich hatte ein Unfall mit dem Fahrrad.",
            E(
                "ein Unfall",
                "einen Unfall",
                ART,
                "'Unfall' is masculine and the object of 'hatte': 'einen Unfall'.",
            ),
        ),
        U(
            "Ich bin gestern zum Krankenhaus gegangen.",
            E(
                "zum Krankenhaus",
                "ins Krankenhaus",
                PREP,
                "When you go there as a patient, you go 'ins Krankenhaus'.",
            ),
        ),
        U(
            "Warum du bist so müde?",
            E(
                "Warum du bist",
                "Warum bist du",
                QUEST,
                "In a W-question, the verb comes right after the question word.",
            ),
        ),
    ),
    "Technology": (
        U(
            "Ich habe meinen Passwort vergessen.",
            E("meinen Passwort", "mein Passwort", ART, "'Passwort' is neuter: 'mein Passwort'."),
        ),
        U(
            "Kannst du mir erklären, wie funktioniert diese App?",
            E(
                "wie funktioniert diese App",
                "wie diese App funktioniert",
                QUEST,
                "In an indirect question, the verb goes to the end.",
            ),
        ),
        U(
            "Die neue Update hat viele Probleme.",
            E(
                "Die neue Update",
                "Das neue Update",
                ART,
                "'Update' is neuter in German: 'das neue Update'.",
            ),
        ),
        U(
            "Ich habe zwei Computers zu Hause.",
            E(
                "Computers",
                "Computer",
                PLUR,
                "'Computer' has the same form in the plural: 'zwei Computer'.",
            ),
            natives=EN,
        ),
        U(
            "Ich kann nicht in meinem Konto einloggen.",
            E(
                "kann nicht in meinem Konto einloggen",
                "kann mich nicht in mein Konto einloggen",
                PRON,
                "'Sich einloggen' is reflexive, and 'in' for a direction takes the accusative: 'mich … in mein Konto'.",
            ),
        ),
        U(
            "Mein Handy ist gefallen und der Bildschirm ist kaputt.",
            E(
                "ist gefallen",
                "ist runtergefallen",
                WORD,
                "For an object dropping to the ground, German says 'runterfallen' or 'hinfallen': 'ist runtergefallen' (or 'ist hingefallen'), in writing also 'runtergefallen' (or 'heruntergefallen').",
            ),
        ),
        U(
            "Ich dachte, es ist kaputt, aber aktuell funktioniert es gut.",
            E(
                "aktuell",
                "tatsächlich",
                FALSE,
                "'Aktuell' means 'current(ly)'; 'actually' is 'tatsächlich' or 'eigentlich'.",
            ),
            natives=EN,
        ),
        U(
            "Ich möchte meine Fotos auf der Cloud speichern.",
            E("auf der Cloud", "in der Cloud", PREP, "Data is stored 'in der Cloud'."),
        ),
        U(
            "Wo ich kann ein Ladekabel kaufen?",
            E(
                "Wo ich kann",
                "Wo kann ich",
                QUEST,
                "In a W-question, the verb comes right after the question word: 'Wo kann ich…?'",
            ),
        ),
        U(
            "Es ist wichtig dass man regelmäßig Backups macht.",
            E(
                "wichtig dass",
                "wichtig, dass",
                COMMA,
                "A clause with 'dass' is always separated by a comma.",
            ),
        ),
        U(
            "Meine Schwester arbeitet bei einer IT-firma in München.",
            E(
                "IT-firma",
                "IT-Firma",
                SPELL,
                "In a hyphenated compound, the noun after the hyphen is still capitalised: 'IT-Firma'.",
            ),
        ),
        U(
            "Ich benutze mein Laptop jeden Tag für die Arbeit.",
            E(
                "mein Laptop",
                "meinen Laptop",
                ART,
                "'Laptop' is masculine and the object: 'meinen Laptop'.",
            ),
        ),
    ),
    "Culture": (
        U(
            "Ich war letzte Woche in ein Konzert von einer Jazzband.",
            E(
                "in ein Konzert",
                "in einem Konzert",
                ART,
                "For where you were, 'in' takes the dative: 'in einem Konzert' (or 'auf einem Konzert').",
            ),
        ),
        U(
            "Letztes Jahr habe ich das Brandenburger Tor besuchen.",
            E(
                "besuchen",
                "besucht",
                TENSE,
                "The perfect needs the participle: 'ich habe … besucht'.",
            ),
        ),
        U(
            "Der Film war in Deutsch mit Untertiteln.",
            E(
                "in Deutsch",
                "auf Deutsch",
                PREP,
                "For the language something is in, German says 'auf Deutsch'.",
            ),
            natives=EN,
        ),
        U(
            "Die Museen in Berlin ist sehr interessant.",
            E("Museen in Berlin ist", "Museen in Berlin sind", SVA, "'Museen' is plural: 'sind'."),
        ),
        U(
            "Die Berliner Mauer ist im 1989 gefallen.",
            E(
                "im 1989",
                "1989",
                PREP,
                "Years take no preposition in German: '1989' or 'im Jahr 1989'.",
            ),
        ),
        U(
            "In meinem Land wir feiern Neujahr mit Feuerwerk.",
            E(
                "wir feiern",
                "feiern wir",
                ADV,
                "When a place phrase starts the sentence, the verb comes before the subject: 'In meinem Land feiern wir…'.",
            ),
        ),
        U(
            "Mir gefällt sehr die deutsche Musik.",
            E(
                "gefällt sehr die deutsche Musik",
                "gefällt die deutsche Musik sehr",
                ADV,
                "'Sehr' comes after the subject here: 'Mir gefällt die deutsche Musik sehr' (or 'Die deutsche Musik gefällt mir sehr').",
            ),
            natives=ROMANCE,
        ),
        U(
            "Welches Buch du empfiehlst mir?",
            E(
                "Welches Buch du empfiehlst",
                "Welches Buch empfiehlst du",
                QUEST,
                "In a W-question, the verb comes right after the question phrase.",
            ),
        ),
        U(
            "Auf dem Weihnachtsmarkt haben wir Glühwein getrinkt.",
            E("getrinkt", "getrunken", TENSE, "'Trinken' is irregular: 'getrunken'."),
        ),
        U(
            "Die Schriftstellerin, der ich gestern getroffen habe, war sehr nett.",
            E(
                "der ich",
                "die ich",
                PRON,
                "The relative pronoun refers to 'die Schriftstellerin' and is the object: 'die'.",
            ),
        ),
        U(
            "Ich habe im Museum viele alte Gemälden gesehen.",
            E(
                "Gemälden",
                "Gemälde",
                PLUR,
                "The plural of 'Gemälde' is 'Gemälde'; the -n is only added in the dative.",
            ),
        ),
        U(
            "Die Festival in Salzburg ist sehr bekannt.",
            E("Die Festival", "Das Festival", ART, "'Festival' is neuter: 'das Festival'."),
        ),
    ),
}

CLEAN: dict[str, tuple[U, ...]] = {
    "Travel": (
        U("Ich habe ein Zimmer für zwei Nächte gebucht."),
        U("Das Hotel war sehr schön, aber das Zimmer war zu klein."),
        U("Ich war noch nie in Österreich, aber ich möchte bald hinfahren."),
        U("Das Wetter war schlecht, deshalb sind wir im Hotel geblieben."),
        U("Auf der Reise habe ich eine sehr nette Familie kennengelernt."),
    ),
    "Job interviews": (
        U("Ich arbeite seit drei Jahren als Krankenpfleger."),
        U("Meine Stärken sind Teamfähigkeit und Flexibilität."),
        U("Ich kann gut unter Druck arbeiten."),
        U("Ich habe eine Ausbildung als Elektriker gemacht."),
        U("Ich habe meinen Lebenslauf und meine Zeugnisse mitgebracht."),
    ),
    "Food and restaurants": (
        U("Ich habe eine Pizza bestellt, aber der Kellner hat Nudeln gebracht."),
        U("Ich bin Vegetarierin, deshalb esse ich kein Fleisch."),
        U("Mein Lieblingsessen ist Schnitzel mit Kartoffelsalat."),
        U("Kann ich mit Karte bezahlen?"),
        U("Zum Nachtisch möchte ich ein Eis mit Sahne."),
    ),
    "Daily routine": (
        U("Ich stehe jeden Tag um halb sieben auf."),
        U("Am Samstag gehe ich einkaufen und putze die Wohnung."),
        U("Ich gehe meistens um elf Uhr ins Bett."),
        U("Mein Wecker klingelt um sechs, aber ich bleibe noch zehn Minuten liegen."),
        U("Meine Arbeit beginnt um acht Uhr und endet um halb fünf."),
    ),
    "Hobbies": (
        U("Ich bin Mitglied in einem Chor und wir singen jeden Dienstag."),
        U("Wir spielen jeden Freitag Karten mit den Nachbarn."),
        U("Am Wochenende gehe ich mit meinem Hund spazieren."),
        U("Ich habe angefangen, Italienisch zu lernen."),
        U("Ich sammle Briefmarken, seit ich ein Kind war."),
    ),
    "Small talk": (
        U("Wie geht's dir? Mir geht's gut, danke."),
        U("Das Wetter ist heute wunderschön, oder?"),
        U("Hast du Lust, morgen einen Kaffee zu trinken?"),
        U("Wie war dein Wochenende? Meins war sehr entspannt."),
        U("Es regnet schon den ganzen Tag."),
    ),
    "Business emails": (
        U("Sehr geehrte Frau Schmidt, vielen Dank für Ihre schnelle Antwort."),
        U("Im Anhang finden Sie die Rechnung für März."),
        U("Leider kann ich nicht an der Besprechung teilnehmen."),
        U("Das Meeting wurde auf Donnerstag verschoben."),
        U("Könnten Sie bitte den Termin bestätigen?"),
    ),
    "Health": (
        U("Ich habe eine Erkältung und fühle mich nicht gut."),
        U("Der Arzt hat mir ein Rezept gegeben."),
        U("Ich muss diese Tabletten dreimal am Tag nehmen."),
        U("Ich gehe dreimal pro Woche joggen."),
        U("Wo ist die nächste Apotheke? Ich brauche etwas gegen Kopfschmerzen."),
    ),
    "Technology": (
        U("Mein Laptop ist sehr langsam, ich brauche einen neuen."),
        U("Ich habe die neue App heruntergeladen, aber sie funktioniert nicht."),
        U("Mein Computer ist abgestürzt und ich habe alles verloren."),
        U("Ich habe die Datei gespeichert, aber ich kann sie nicht mehr finden."),
        U("Der Drucker druckt nicht, er braucht neue Tinte."),
    ),
    "Culture": (
        U("Letzte Woche war ich im Museum und habe Bilder von Klimt gesehen."),
        U("Das Oktoberfest beginnt im September, nicht im Oktober."),
        U("Im Dezember gibt es in Deutschland viele Weihnachtsmärkte."),
        U("Wir haben ein Theaterstück von Brecht gesehen, es hat mir sehr gut gefallen."),
        U("Ich lese gern Bücher von deutschen Autoren, zum Beispiel von Thomas Mann."),
    ),
}

FOLLOW_UPS: dict[str, tuple[str, ...]] = {
    "Travel": (
        "Wohin möchtest du als Nächstes reisen, und warum?",
        "Was war das beste Essen auf dieser Reise?",
        "Planst du lieber alles, oder reist du spontan?",
        "Hattest du schon einmal ein Problem am Flughafen? Was ist passiert?",
        "Wie bewegst du dich normalerweise in einer neuen Stadt?",
    ),
    "Job interviews": (
        "Erzähl mir von einer schwierigen Situation im Job und wie du sie gelöst hast.",
        "Warum bist du die richtige Person für diese Stelle?",
        "Wo siehst du dich in fünf Jahren?",
        "Was hat dir an deiner letzten Stelle am besten gefallen?",
        "Hast du noch Fragen zu unserer Firma?",
    ),
    "Food and restaurants": (
        "Was würdest du als Nachtisch bestellen?",
        "Wie fragst du den Kellner nach vegetarischen Gerichten?",
        "Erzähl mir von einem typischen Gericht aus deinem Land.",
        "Kochst du oft zu Hause? Was ist deine Spezialität?",
        "Wie würdest du dich höflich beschweren, wenn die Suppe kalt ist?",
    ),
    "Daily routine": (
        "Wie sieht ein typischer Abend bei dir aus?",
        "Wie unterscheidet sich dein Wochenende von einem Arbeitstag?",
        "Was machst du als Erstes, wenn du zur Arbeit kommst?",
        "Gibt es etwas in deinem Alltag, das du ändern möchtest?",
        "Wie kommst du normalerweise zur Arbeit?",
    ),
    "Hobbies": (
        "Wie bist du zu diesem Hobby gekommen?",
        "Wie viel Zeit verbringst du jede Woche damit?",
        "Gibt es ein Hobby, das du gern ausprobieren würdest?",
        "Machst du deine Hobbys lieber allein oder mit anderen?",
        "Was würdest du jemandem empfehlen, der damit anfangen möchte?",
    ),
    "Small talk": (
        "Hast du schon Pläne fürs Wochenende?",
        "Wie lange wohnst du schon in deiner Stadt?",
        "Was machst du, um dich nach der Arbeit zu entspannen?",
        "Hast du in letzter Zeit einen guten Film gesehen?",
        "Wie ist das Wetter heute bei dir?",
    ),
    "Business emails": (
        "Schreib jetzt bitte den Schlusssatz dieser E-Mail.",
        "Wie bittest du einen Kollegen um mehr Zeit für ein Projekt?",
        "Wie erinnerst du einen Kunden höflich an eine offene Rechnung?",
        "Schreib eine kurze Antwort, in der du den Termin bestätigst.",
        "Wie beginnst du eine E-Mail an jemanden, den du nicht kennst?",
    ),
    "Health": (
        "Was tust du unter der Woche für deine Gesundheit?",
        "Wie würdest du deine Symptome beim Arzt beschreiben?",
        "Schläfst du gut? Was hilft dir dabei?",
        "Wie oft machst du Sport?",
        "Was sagst du in der Apotheke, wenn du etwas gegen Husten brauchst?",
    ),
    "Technology": (
        "Welche App benutzt du jeden Tag am meisten?",
        "Wie schützt du deine Passwörter?",
        "Verbringen wir zu viel Zeit am Handy, was meinst du?",
        "Wie würdest du das Problem einem Techniker erklären?",
        "Auf welches Gerät könntest du nicht verzichten?",
    ),
    "Culture": (
        "Welche Tradition aus deinem Land überrascht Besucher?",
        "Welches Buch oder welchen Film empfiehlst du mir, und warum?",
        "Warst du in letzter Zeit in einem Museum? Was hast du gesehen?",
        "Welche Musik hört man in deiner Stadt?",
        "Welches Fest in deinem Land magst du am liebsten?",
    ),
}

TOPIC_NAMES = {
    "Travel": "Reisen",
    "Job interviews": "Vorstellungsgespräche",
    "Food and restaurants": "Essen und Restaurants",
    "Daily routine": "Alltag",
    "Hobbies": "Hobbys",
    "Small talk": "Smalltalk",
    "Business emails": "Geschäftliche E-Mails",
    "Health": "Gesundheit",
    "Technology": "Technik",
    "Culture": "Kultur",
}

VOICE = TutorVoice(
    corrections=(
        "Fast! Man sagt „{correction}“, nicht „{excerpt}“. ({explanation})",
        "Guter Versuch. Eine kleine Korrektur: „{excerpt}“ → „{correction}“. ({explanation})",
        "Sehr gut, aber statt „{excerpt}“ sagen wir „{correction}“. ({explanation})",
        "Ich verstehe dich gut, aber richtig ist „{correction}“, nicht „{excerpt}“. ({explanation})",
        "Achtung bei „{excerpt}“: besser „{correction}“. ({explanation})",
        "Fast perfekt! Ändere nur „{excerpt}“ in „{correction}“. ({explanation})",
        "Eine Korrektur: „{correction}“ statt „{excerpt}“. ({explanation})",
        "Vorsicht: Muttersprachler sagen „{correction}“ und nicht „{excerpt}“. ({explanation})",
    ),
    recasts=(
        "Also: „{fixed}“",
        "Der ganze Satz: „{fixed}“",
        "Korrigiert: „{fixed}“",
        "Dann heißt es: „{fixed}“",
    ),
    second_error=(
        "Und noch etwas: „{correction}“ statt „{excerpt}“. ({explanation})",
        "Außerdem sollte „{excerpt}“ „{correction}“ heißen. ({explanation})",
        "Noch ein Detail: sag „{correction}“, nicht „{excerpt}“. ({explanation})",
    ),
    praise=(
        "Perfekt, alles richtig!",
        "Sehr natürlich, gut gemacht!",
        "Schön gesagt, ganz ohne Fehler.",
        "Super, das klingt sehr natürlich.",
        "Ausgezeichnet!",
        "Sehr gut!",
        "Genau so sagt man das.",
        "Ein toller Satz.",
    ),
    openers=(
        "Hallo {name}! Unser Thema heute: {topic}.",
        "Schön, dich zu sehen, {name}. Heute geht es um das Thema „{topic}“.",
        "Willkommen zurück, {name}! Heute üben wir das Thema „{topic}“.",
        "Hallo {name}, los geht's! Thema: {topic}.",
    ),
    retry=(
        "Kannst du den Satz noch einmal sagen?",
        "Versuchst du es noch einmal?",
        "Sag es noch einmal, dann machen wir weiter.",
    ),
)

RATING_COMMENTS = (
    "Clear explanation, thanks!",
    "Sehr hilfreich, danke.",
    "The English explanation helps.",
    "Ich habe die Korrektur nicht verstanden.",
    "Too many corrections at once.",
    "Gute Frage zum Weiterüben.",
)

CORPUS = LanguageCorpus(
    language="German",
    natives={
        "English": 4,
        "Spanish": 1.5,
        "Italian": 1,
        "Turkish": 1.5,
        "Polish": 1.5,
        "Russian": 1,
        "French": 1,
        "Mandarin": 0.5,
        "Arabic": 1,
        "Portuguese": 0.5,
    },
    topic_names=TOPIC_NAMES,
    utterances=UTTERANCES,
    clean=CLEAN,
    follow_ups=FOLLOW_UPS,
    voice=VOICE,
    rating_comments=RATING_COMMENTS,
)
