"""English as the target language: what learners say per topic, and how the tutor answers.

The mistakes are the ones teachers hear from speakers of the learners' native languages
(articles from Mandarin, Japanese, Russian and Hindi speakers, false friends from Romance
and German speakers, and so on); `natives` keeps a mistake with the speakers who make it.
"""

from __future__ import annotations

from resolvers.demo.corpus.model import *  # the shorthand: pairs, E, U, speaker groups

PRO_DROP = ("Spanish", "Italian", "Portuguese")
NO_ARTICLES = ("Mandarin", "Japanese", "Russian", "Hindi", "Polish", "Turkish")

UTTERANCES: dict[str, tuple[U, ...]] = {
    "Travel": (
        U(
            "Last summer I travel to Lisbon with my sister.",
            E(
                "I travel",
                "I travelled",
                TENSE,
                "'Last summer' is finished time, so use the past simple: 'I travelled' (or 'I traveled', the American spelling).",
            ),
        ),
        U(
            "We arrived to the hotel very late because the flight was delayed.",
            E(
                "arrived to",
                "arrived at",
                PREP,
                "We arrive at a building or place, and in a city or country.",
            ),
        ),
        U(
            "Can I change my room? The actual one is very noisy.",
            E(
                "actual",
                "current",
                FALSE,
                "'Actual' means 'real'; the one you have now is the 'current' one.",
            ),
            natives=(*ROMANCE, "German"),
        ),
        U(
            "I went to Japan two years ago and I have been there again in May.",
            E(
                "I have been there again in May",
                "I went there again in May",
                TENSE,
                "'In May' is a finished time, so use the past simple, not the present perfect: 'I went there again' (or 'I was there again').",
            ),
        ),
        U(
            "The tour was cheap, only thirty euros for two persons.",
            E("two persons", "two people", PLUR, "The usual plural of 'person' is 'people'."),
        ),
        U(
            "At the airport they lost my luggages.",
            E("my luggages", "my luggage", PLUR, "'Luggage' is uncountable, so it never takes -s."),
        ),
        U(
            "How much costs a ticket to Edinburgh?",
            E(
                "How much costs a ticket",
                "How much does a ticket cost",
                QUEST,
                "A question with 'how much' needs 'does' and the base verb: 'How much does a ticket cost to Edinburgh' (or 'How much does a ticket to Edinburgh cost').",
            ),
        ),
        U(
            "We walked around a very beautifull old town near the coast.",
            E("beautifull", "beautiful", SPELL, "The suffix '-ful' has only one 'l'."),
        ),
        U(
            "Its my first time in Scotland and I love it.",
            E(
                "Its my",
                "It's my",
                APOS,
                "'It's' is short for 'it is'; 'its' without an apostrophe means 'belonging to it'.",
            ),
        ),
        U(
            "We took a taxi, the bus was completely full.",
            E(
                "taxi, the bus",
                "taxi because the bus",
                COMMA,
                "A comma alone cannot join two full sentences; use a linking word, 'because' (or 'as'), or a full stop: 'taxi because the bus' (or 'taxi. The bus').",
            ),
        ),
        U(
            "The people in Porto was really friendly with us.",
            E(
                "people in Porto was",
                "people in Porto were",
                SVA,
                "'People' is plural, so the verb is 'were'.",
            ),
        ),
        U(
            "Is necessary a visa to visit Canada?",
            E(
                "Is necessary a visa",
                "Is a visa necessary",
                QUEST,
                "English questions need a subject after 'is': 'Is a visa necessary…?'",
            ),
            natives=PRO_DROP,
        ),
    ),
    "Job interviews": (
        U(
            "I have 28 years and I am a civil engineer.",
            E(
                "I have 28 years",
                "I am 28 years old",
                WORD,
                "In English you 'are' an age: 'I am 28 (years old)'.",
            ),
            natives=ROMANCE,
        ),
        U(
            "I work for this company since 2019.",
            E(
                "I work",
                "I have worked",
                TENSE,
                "With 'since' and a starting point, use the present perfect: 'I have worked' (or 'I have been working').",
            ),
        ),
        U(
            "In my last job I was responsible of a team of five people.",
            E("responsible of", "responsible for", PREP, "'Responsible' is followed by 'for'."),
        ),
        U(
            "I'm really interested for this position because I love design.",
            E("interested for", "interested in", PREP, "'Interested' is always followed by 'in'."),
        ),
        U(
            "Last year I assisted to a course about project management.",
            E(
                "assisted to",
                "attended",
                FALSE,
                "'Assist' means 'help'; you 'attend' a course or a meeting: 'attended' (or 'took') a course.",
            ),
            natives=ROMANCE,
        ),
        U(
            "My last boss always said I was a very responsable person.",
            E("responsable", "responsible", SPELL, "In English the word ends in '-ible'."),
            natives=("Spanish", "French", "Italian", "Portuguese"),
        ),
        U(
            "When I will know the result of the interview?",
            E(
                "When I will know",
                "When will I know",
                QUEST,
                "In a question, 'will' comes before the subject.",
            ),
        ),
        U(
            "I want to make a career in marketing.",
            E(
                "make a career",
                "build a career",
                COLL,
                "In English you 'build' or 'pursue' a career.",
            ),
            natives=("German", "Polish", "Russian"),
        ),
        U(
            "I am working here since three years.",
            E(
                "am working",
                "have been working",
                TENSE,
                "For a situation that started in the past and continues now, use the present perfect continuous: 'have been working' (or 'have worked').",
            ),
            E(
                "since three years",
                "for three years",
                PREP,
                "Use 'for' with a length of time and 'since' with a starting point.",
            ),
        ),
        U(
            "I have always worked hardly to meet my deadlines.",
            E(
                "worked hardly",
                "worked hard",
                WORD,
                "'Hardly' means 'almost not'; the adverb of 'hard' is 'hard'.",
            ),
        ),
        U(
            "I can start immediately because I don't have notice period.",
            E(
                "have notice period",
                "have a notice period",
                ART,
                "'Notice period' is a countable noun, so it needs 'a' here: 'a notice period' (or 'any notice period').",
            ),
            natives=NO_ARTICLES,
        ),
        U(
            "I have a bachelor in economics and a master in finance.",
            E(
                "a bachelor in",
                "a bachelor's in",
                APOS,
                "The degree is a 'bachelor's' (short for bachelor's degree).",
            ),
            E(
                "a master in",
                "a master's in",
                APOS,
                "The degree is a 'master's' (short for master's degree).",
            ),
        ),
    ),
    "Food and restaurants": (
        U(
            "Yesterday we eated at a small Italian restaurant.",
            E("eated", "ate", TENSE, "'Eat' is irregular: eat, ate, eaten."),
        ),
        U(
            "Can you bring me a bottle of water without gas, please?",
            E(
                "water without gas",
                "still water",
                COLL,
                "Water without bubbles is called 'still water'.",
            ),
            natives=(*ROMANCE, "German"),
        ),
        U(
            "I'm not very hungry, so I will only take a salad.",
            E(
                "take a salad",
                "have a salad",
                COLL,
                "When you order food, English uses 'have' or 'get', not 'take'.",
            ),
            natives=(*ROMANCE, "German"),
        ),
        U(
            "I love the Spanish food, especially paella.",
            E(
                "the Spanish food",
                "Spanish food",
                ART,
                "When you talk about something in general, don't use 'the'.",
            ),
            natives=ROMANCE,
        ),
        U(
            "How many sugar do you put in the cake?",
            E(
                "How many sugar",
                "How much sugar",
                PLUR,
                "'Sugar' is uncountable, so ask 'how much'.",
            ),
        ),
        U(
            "My mother cooks very well the pasta.",
            E(
                "cooks very well the pasta",
                "cooks pasta very well",
                ADV,
                "Don't put an adverb between a verb and its object; and 'pasta' in general takes no 'the'.",
            ),
        ),
        U(
            "We ordered two coffees and a piece of cheese cake.",
            E("cheese cake", "cheesecake", SPELL, "'Cheesecake' is written as one word."),
        ),
        U(
            "The restaurant was full, so we have waited for forty minutes.",
            E(
                "we have waited",
                "we waited",
                TENSE,
                "This is a finished event in the past, so use the past simple.",
            ),
        ),
        U(
            "I always drink an espresso after lunch because is a habit from home.",
            E(
                "because is a habit",
                "because it's a habit",
                PRON,
                "English needs a subject pronoun: 'it is', not just 'is'.",
            ),
            natives=PRO_DROP,
        ),
        U(
            "The food was good but the dessert was to sweet for me.",
            E(
                "to sweet",
                "too sweet",
                SPELL,
                "'Too' (two o's) means 'more than you want'; 'to' is a preposition.",
            ),
        ),
        U(
            "Could you tell me what do you recommend?",
            E(
                "what do you recommend",
                "what you recommend",
                QUEST,
                "In an indirect question ('Could you tell me…'), use statement word order, without 'do'.",
            ),
        ),
        U(
            "We asked the waiter for the bill and he brought it immediately, it was very expensive.",
            E(
                "immediately, it was",
                "immediately. It was",
                COMMA,
                "A comma cannot join two complete sentences; start a new sentence: 'immediately. It was' (or 'immediately, and it was').",
            ),
        ),
    ),
    "Daily routine": (
        U(
            "I wake up usually at seven o'clock.",
            E(
                "wake up usually",
                "usually wake up",
                ADV,
                "Frequency adverbs like 'usually' go before the main verb: 'I usually wake up' (or 'Usually I wake up').",
            ),
        ),
        U(
            "My husband go to work by bike every day.",
            E(
                "husband go",
                "husband goes",
                SVA,
                "After he, she or it, the present simple verb takes -s.",
            ),
        ),
        U(
            "After breakfast I brush my tooths.",
            E("tooths", "teeth", PLUR, "'Tooth' has an irregular plural: 'teeth'."),
        ),
        U(
            "I arrive at office at half past eight.",
            E(
                "at office",
                "at the office",
                ART,
                "Say 'at the office' (or 'at work'), like 'at home'.",
            ),
            natives=NO_ARTICLES,
        ),
        U(
            "Every evening my son and I make his homeworks together.",
            E("make", "do", COLL, "We 'do' homework, we don't 'make' it."),
            E("homeworks", "homework", PLUR, "'Homework' is uncountable, so it has no -s."),
        ),
        U(
            "I always am tired on Monday mornings.",
            E("always am", "am always", ADV, "Frequency adverbs go after the verb 'be'."),
        ),
        U(
            "At lunch time I eat in the canteen with my colleges.",
            E(
                "colleges",
                "colleagues",
                WORD,
                "A 'college' is a school; the people you work with are 'colleagues'.",
            ),
            natives=ROMANCE,
        ),
        U(
            "What time do you usually going to bed?",
            E(
                "do you usually going",
                "do you usually go",
                QUEST,
                "After 'do' in a question, use the base verb: 'go'.",
            ),
        ),
        U(
            "I take the bus at 7:40 and it takes me fourty minutes to get to work.",
            E("fourty", "forty", SPELL, "'Forty' has no 'u', even though 'four' does."),
        ),
        U(
            "My alarm rings at six but I stand up at half past six.",
            E(
                "stand up",
                "get up",
                WORD,
                "Getting out of bed is 'get up'; 'stand up' means rising from a chair.",
            ),
            natives=("German", "Spanish", "Polish"),
        ),
        U(
            "My sister's children doesn't like getting up early.",
            E("children doesn't", "children don't", SVA, "'Children' is plural, so use 'don't'."),
        ),
        U(
            "I go to the gym three times in the week.",
            E(
                "three times in the week",
                "three times a week",
                PREP,
                "For how often, say 'three times a week' (or 'three times per week').",
            ),
        ),
    ),
    "Hobbies": (
        U(
            "I play the guitar since I was fifteen.",
            E(
                "I play",
                "I have played",
                TENSE,
                "With 'since', use the present perfect for something that continues until now: 'I have played' (or 'I have been playing').",
            ),
        ),
        U(
            "In my free time I like very much reading novels.",
            E(
                "like very much reading novels",
                "like reading novels very much",
                ADV,
                "'Very much' goes after the object, not between the verb and the object: 'like reading novels very much' (or 'really like reading novels').",
            ),
        ),
        U(
            "Last weekend I went to fish with my uncle.",
            E(
                "went to fish",
                "went fishing",
                COLL,
                "For activities, English uses 'go' + -ing: go fishing, go swimming.",
            ),
        ),
        U(
            "I'm quite good in painting landscapes.",
            E("good in", "good at", PREP, "'Good' is followed by 'at' for skills."),
        ),
        U(
            "My favourite hobby is to do photos of birds.",
            E(
                "do photos",
                "take photos",
                COLL,
                "In English you 'take' photos: 'take photos' (or 'take pictures').",
            ),
        ),
        U(
            "I'm member of a hiking club.",
            E(
                "I'm member",
                "I'm a member",
                ART,
                "A singular countable noun like 'member' needs 'a'.",
            ),
        ),
        U(
            "I practise football twice a week with some friends.",
            E("practise football", "play football", COLL, "With ball games, English uses 'play'."),
            natives=ROMANCE,
        ),
        U(
            "Do you know how to play chess? Is my favourite game.",
            E(
                "Is my favourite",
                "It's my favourite",
                PRON,
                "English needs a subject: 'It's my favourite game'.",
            ),
            natives=PRO_DROP,
        ),
        U(
            "I read a lot about history, specially about ancient Rome.",
            E(
                "specially",
                "especially",
                WORD,
                "'Especially' means 'particularly'; 'specially' means 'for a special purpose'.",
            ),
        ),
        U(
            "My brother and me go climbing every Sunday.",
            E(
                "My brother and me",
                "My brother and I",
                PRON,
                "In the subject of a sentence, use 'I', not 'me'.",
            ),
        ),
        U(
            "I mostly listen rock and a bit of jazz.",
            E(
                "listen rock",
                "listen to rock",
                PREP,
                "'Listen' needs 'to' before what you listen to.",
            ),
        ),
        U(
            "I love cooking, and on sundays I always try a new recipe.",
            E(
                "sundays",
                "Sundays",
                SPELL,
                "Days of the week always start with a capital letter in English.",
            ),
            natives=(*ROMANCE, "Russian", "Turkish", "Polish"),
        ),
    ),
    "Small talk": (
        U(
            "It's been raining all the day today.",
            E("all the day", "all day", ART, "We say 'all day', without 'the'."),
            natives=ROMANCE,
        ),
        U(
            "Is very hot today, isn't it?",
            E(
                "Is very hot",
                "It's very hot",
                PRON,
                "English always needs a subject, even for the weather: 'It's hot'.",
            ),
            natives=PRO_DROP,
        ),
        U(
            "Nice to meet you too. Do you live here from a long time?",
            E(
                "Do you live",
                "Have you lived",
                TENSE,
                "For a time up to now, use the present perfect: 'Have you lived' (or 'Have you been living').",
            ),
            E("from a long time", "for a long time", PREP, "Use 'for' with a length of time."),
            natives=("Spanish", "Italian", "Portuguese"),
        ),
        U(
            "I am agree with you, the summer here is too short.",
            E(
                "I am agree",
                "I agree",
                TENSE,
                "'Agree' is a verb on its own, so it doesn't take 'am'.",
            ),
            natives=ROMANCE,
        ),
        U(
            "My weekend was very funny, we went to a concert.",
            E(
                "very funny",
                "really fun",
                WORD,
                "'Funny' means it made you laugh; for an enjoyable time say 'fun': 'really fun' (or 'a lot of fun').",
            ),
        ),
        U(
            "How long are you living in this city?",
            E(
                "How long are you living",
                "How long have you been living",
                TENSE,
                "For a period up to now, use the present perfect continuous: 'How long have you been living' (or 'How long have you lived').",
            ),
        ),
        U(
            "Sorry for the late, the traffic was terrible.",
            E(
                "Sorry for the late",
                "Sorry for being late",
                WORD,
                "'Late' is an adjective, not a noun: say 'Sorry for being late' (or 'Sorry I am late').",
            ),
        ),
        U(
            "The news are not very good today.",
            E("news are", "news is", SVA, "'News' is uncountable and takes a singular verb."),
        ),
        U(
            "Do you have plans for tonight? We could go to take a drink.",
            E("take a drink", "have a drink", COLL, "Say 'have a drink' or 'get a drink'."),
            natives=ROMANCE,
        ),
        U(
            "I didn't know you have a dog! How is he called?",
            E(
                "How is he called",
                "What is his name",
                QUEST,
                "In English you ask 'What is his name' (or 'What is he called'), not 'How is he called?'.",
            ),
            natives=(*ROMANCE, "German"),
        ),
        U(
            "Your english is very good, where did you learn it?",
            E(
                "english",
                "English",
                SPELL,
                "Names of languages always start with a capital letter in English.",
            ),
        ),
        U(
            "I'm tired because yesterday I have gone to bed very late.",
            E(
                "I have gone",
                "I went",
                TENSE,
                "'Yesterday' is finished time, so use the past simple.",
            ),
        ),
    ),
    "Business emails": (
        U(
            "Dear Mr Smith, I write you to ask about the invoice from March.",
            E(
                "I write you",
                "I am writing to you",
                TENSE,
                "In emails we say 'I am writing to…' (present continuous, with 'to'): 'I am writing to you' (or 'I am writing', without 'to you').",
            ),
        ),
        U(
            "Please find attached the document that you asked.",
            E(
                "that you asked",
                "that you asked for",
                PREP,
                "You 'ask for' something you want to receive: 'the document that you asked for' (or 'the document you asked for').",
            ),
        ),
        U(
            "I look forward to hear from you.",
            E(
                "to hear",
                "to hearing",
                TENSE,
                "In 'look forward to', 'to' is a preposition, so the verb takes -ing: 'I look forward to hearing' (or 'I am looking forward to hearing').",
            ),
        ),
        U(
            "Could you send me the informations until Friday?",
            E(
                "informations",
                "information",
                PLUR,
                "'Information' is uncountable, so it has no -s.",
            ),
            E(
                "until Friday",
                "by Friday",
                PREP,
                "For a deadline use 'by'; 'until' means 'continuing up to'.",
            ),
        ),
        U(
            "As we discussed in the phone, the meeting is moved to Thursday.",
            E("in the phone", "on the phone", PREP, "We talk 'on the phone'."),
        ),
        U(
            "I am sorry for the delay of my answer.",
            E("delay of", "delay in", PREP, "We say 'a delay in' something."),
        ),
        U(
            "We have received your order and we will send it the next week.",
            E(
                "the next week",
                "next week",
                ART,
                "'Next week' takes no article when you mean the week after this one.",
            ),
        ),
        U(
            "Unfortunately I can't assist at the meeting on Monday.",
            E(
                "assist at",
                "attend",
                FALSE,
                "'Assist' means 'help'; being present at a meeting is 'attend'.",
            ),
            natives=ROMANCE,
        ),
        U(
            "I would like to inform you that the prices will raise in January.",
            E(
                "will raise",
                "will rise",
                WORD,
                "'Rise' has no object (prices rise); 'raise' needs one (we raise prices): 'will rise' (or 'will go up').",
            ),
        ),
        U(
            "Every employee have to fill in the form before the end of the month.",
            E(
                "employee have",
                "employee has",
                SVA,
                "'Every' + a singular noun takes a singular verb.",
            ),
        ),
        U(
            "Please let me know if you have any question's.",
            E("question's", "questions", APOS, "Plurals don't take an apostrophe."),
        ),
        U(
            "I send you the report tomorrow morning.",
            E("I send", "I'll send", TENSE, "For a promise about the future, use 'will'."),
        ),
    ),
    "Health": (
        U(
            "I have a terrible headache since yesterday.",
            E("I have", "I've had", TENSE, "With 'since', use the present perfect."),
        ),
        U(
            "I'm constipated and I have a runny nose and a sore throat.",
            E(
                "I'm constipated",
                "I have a cold",
                FALSE,
                "Spanish 'constipado' means having a cold; English 'constipated' is a digestive problem: 'I have a cold' (or 'I have got a cold').",
            ),
            natives=("Spanish",),
        ),
        U(
            "The doctor said me to stay in bed for two days.",
            E(
                "said me",
                "told me",
                WORD,
                "Use 'tell' + person: 'told me to…'; 'say' doesn't take a person directly.",
            ),
        ),
        U(
            "My back hurts me when I sit for a long time.",
            E(
                "hurts me",
                "hurts",
                PRON,
                "With body parts, 'hurt' needs no object: 'My back hurts'.",
            ),
            natives=ROMANCE,
        ),
        U(
            "I started going to the gym for to lose weight.",
            E(
                "for to lose",
                "to lose",
                PREP,
                "For a purpose, use 'to' alone, not 'for to': 'to lose' (or 'in order to lose').",
            ),
            natives=ROMANCE,
        ),
        U(
            "The doctor told me to take the pills three times in a day.",
            E(
                "three times in a day",
                "three times a day",
                PREP,
                "For how often, say 'three times a day' (or 'three times per day').",
            ),
        ),
        U(
            "I cut my finger while I was cooking and it bleeded a lot.",
            E("bleeded", "bled", TENSE, "'Bleed' is irregular: bleed, bled, bled."),
        ),
        U(
            "I need to see the dentist because one of my tooth hurts.",
            E(
                "one of my tooth",
                "one of my teeth",
                PLUR,
                "After 'one of my', the noun is plural: 'teeth'.",
            ),
        ),
        U(
            "I have allergy to pollen, so spring is difficult for me.",
            E(
                "have allergy",
                "have an allergy",
                ART,
                "'Allergy' is countable here: 'an allergy to'.",
            ),
            natives=NO_ARTICLES,
        ),
        U(
            "Yesterday I felt myself very bad, so I stayed at home.",
            E("felt myself", "felt", PRON, "'Feel' isn't reflexive in English: 'I felt bad'."),
            natives=(*ROMANCE, "German", "Russian", "Polish"),
        ),
        U(
            "Do you think is better to walk or to run?",
            E(
                "think is better",
                "think it's better",
                PRON,
                "English needs the subject 'it': 'it's better'.",
            ),
            natives=PRO_DROP,
        ),
        U(
            "I went to the farmacy to buy something for my cough.",
            E("farmacy", "pharmacy", SPELL, "In English it is spelled with 'ph': pharmacy."),
        ),
    ),
    "Technology": (
        U(
            "Yesterday my laptop has crashed and I lost all my work.",
            E(
                "has crashed",
                "crashed",
                TENSE,
                "'Yesterday' is finished time, so use the past simple.",
            ),
        ),
        U(
            "I forgot the password of my email and now I can't enter.",
            E(
                "can't enter",
                "can't log in",
                WORD,
                "For accounts and websites we say 'log in' (or 'sign in').",
            ),
        ),
        U(
            "Can you explain me how this app works?",
            E(
                "explain me",
                "explain to me",
                PREP,
                "'Explain' needs 'to' before the person: 'explain to me' (or 'explain', with no person).",
            ),
        ),
        U(
            "I spend too much time in my phone.",
            E("in my phone", "on my phone", PREP, "We use 'on' with phones and screens."),
        ),
        U(
            "The new update have a lot of problems.",
            E("update have", "update has", SVA, "'Update' is singular, so use 'has'."),
        ),
        U(
            "Where can I download the softwares?",
            E("softwares", "software", PLUR, "'Software' is uncountable, so it has no -s."),
        ),
        U(
            "I always make a copy of security of my photos.",
            E(
                "a copy of security",
                "a backup",
                WORD,
                "Spanish 'copia de seguridad' is a 'backup' in English: 'make a backup of' (or 'back up') my photos.",
            ),
            natives=("Spanish", "Portuguese", "Italian"),
        ),
        U(
            "When I was child we didn't have internet at home.",
            E(
                "was child",
                "was a child",
                ART,
                "A singular countable noun needs 'a': 'when I was a child'.",
            ),
            natives=NO_ARTICLES,
        ),
        U(
            "Why my phone doesn't connect to the wifi?",
            E(
                "Why my phone doesn't connect",
                "Why doesn't my phone connect",
                QUEST,
                "In a question, 'doesn't' comes before the subject.",
            ),
        ),
        U(
            "My laptop screen is broken, so I must to buy a new one.",
            E("must to buy", "must buy", TENSE, "After 'must', use the base verb without 'to'."),
        ),
        U(
            "The wifi in this café is very slowly.",
            E(
                "very slowly",
                "very slow",
                WORD,
                "After 'is', use the adjective 'slow', not the adverb 'slowly'.",
            ),
        ),
        U(
            "My grandfather uses now a smartphone and he loves it.",
            E(
                "uses now",
                "now uses",
                ADV,
                "Don't put an adverb between the verb and its object: 'now uses a smartphone' (or 'uses a smartphone now').",
            ),
        ),
    ),
    "Culture": (
        U(
            "I have read a very interesting book about the history of Japan last year.",
            E(
                "I have read",
                "I read",
                TENSE,
                "With 'last year' (finished time), use the past simple.",
            ),
        ),
        U(
            "We went to the opera and the singers were amazings.",
            E("amazings", "amazing", PLUR, "English adjectives never take a plural -s."),
            natives=("Spanish", "Portuguese", "French"),
        ),
        U(
            "I like very much the films of Almodóvar.",
            E(
                "like very much the films of Almodóvar",
                "like the films of Almodóvar very much",
                ADV,
                "'Very much' goes after the object, not between the verb and the object: 'like the films of Almodóvar very much' (or 'really like the films of Almodóvar').",
            ),
            natives=ROMANCE,
        ),
        U(
            "Most of people in my city go to the summer festival.",
            E(
                "Most of people",
                "Most people",
                ART,
                "Say 'Most people' (or 'Most of the people', for a specific group), not 'Most of people'.",
            ),
        ),
        U(
            "Have you ever been in Vienna? The architecture is amazing.",
            E("been in Vienna", "been to Vienna", PREP, "For a visit, say 'have been to' a place."),
        ),
        U(
            "Shakespeare wrote it's most famous plays around 1600.",
            E(
                "it's most famous",
                "his most famous",
                PRON,
                "Shakespeare is a man, so use 'his'; 'it's' means 'it is'.",
            ),
        ),
        U(
            "The exhibition were really interesting, especially the photographs.",
            E("exhibition were", "exhibition was", SVA, "'Exhibition' is singular, so use 'was'."),
        ),
        U(
            "In my culture it's polite to take off your shoes when you enter in a house.",
            E("enter in", "enter", PREP, "'Enter' takes its object directly: 'enter a house'."),
            natives=(*ROMANCE, "Turkish"),
        ),
        U(
            "The carnival in my city is famous and thousands of tourist come every year.",
            E(
                "thousands of tourist",
                "thousands of tourists",
                PLUR,
                "After 'thousands of', the noun is plural.",
            ),
        ),
        U(
            "I read the last book of Murakami and I didn't like the ending.",
            E(
                "the last book of Murakami",
                "Murakami's latest book",
                WORD,
                "'Latest' means the newest; 'last' means the final one. For a person, use 's: Murakami's.",
            ),
        ),
        U(
            "What means 'spoiler'? My friend said it at the cinema.",
            E(
                "What means 'spoiler'",
                "What does 'spoiler' mean",
                QUEST,
                "When 'what' is the object, the question needs 'does' + the base verb.",
            ),
        ),
        U(
            "On Saturday I went to a concert of jazz in the old town.",
            E(
                "a concert of jazz",
                "a jazz concert",
                COLL,
                "English puts the type first: 'a jazz concert'.",
            ),
            natives=ROMANCE,
        ),
    ),
}

CLEAN: dict[str, tuple[U, ...]] = {
    "Travel": (
        U("We stayed in a small guesthouse run by a lovely old couple."),
        U("Next spring I'd like to go hiking in the Scottish Highlands."),
        U("I always pack too many clothes and never wear half of them."),
        U(
            "The train from Munich to Venice goes through the mountains, and the views are stunning."
        ),
        U("I prefer travelling by train because I can read on the way."),
    ),
    "Job interviews": (
        U("I led a small team that launched our company's first mobile app."),
        U("I'm looking for a role where I can grow and learn from experienced people."),
        U("One of my strengths is that I stay calm under pressure."),
        U("I left my last job because I wanted more responsibility."),
        U("Could you tell me more about the team I would be working with?"),
    ),
    "Food and restaurants": (
        U("I'd like the grilled salmon with a side salad, please."),
        U("We booked a table for four at eight o'clock."),
        U("My favourite dish is my grandmother's lentil soup."),
        U("I'm allergic to nuts, so I always ask about the ingredients."),
        U("The service was a bit slow, but the food was excellent."),
    ),
    "Daily routine": (
        U("I usually have a quick breakfast and leave the house at half past seven."),
        U("On weekdays I work from home, so I don't have to commute."),
        U("In the evening I like to go for a walk before dinner."),
        U("I try to go to bed before eleven, but it doesn't always work."),
        U("On Saturdays I do the shopping and clean the flat."),
    ),
    "Hobbies": (
        U("I've been learning to play the piano for about a year."),
        U("On Sunday mornings I go cycling along the river."),
        U("I'm reading a detective novel that I can't put down."),
        U("I started knitting during the winter and now I make scarves for my friends."),
        U("We play board games with our neighbours almost every Friday."),
    ),
    "Small talk": (
        U("The weather has been lovely this week, hasn't it?"),
        U("I'm originally from a small town, but I've lived here for five years."),
        U("Did you do anything nice at the weekend?"),
        U("I've just started a new job, so I'm a bit tired this week."),
        U("That sounds great, I'd love to join you next time."),
    ),
    "Business emails": (
        U("Thank you for your quick reply."),
        U("Could we move our call to Wednesday afternoon?"),
        U("I have attached the updated version of the contract."),
        U("Please let me know if this time works for you."),
        U("I am writing to follow up on our meeting last Tuesday."),
    ),
    "Health": (
        U("I've been sleeping much better since I stopped drinking coffee in the evening."),
        U("I walk at least ten thousand steps a day."),
        U("I've made an appointment with my doctor for Thursday."),
        U("I try to eat more vegetables and less sugar."),
        U("My knee still hurts a little after the run."),
    ),
    "Technology": (
        U("I use a password manager, so I don't have to remember all my passwords."),
        U("My phone's battery doesn't last a whole day anymore."),
        U("I've just installed the new version, and it's much faster."),
        U("We have video calls with my parents every Sunday."),
        U("I'm trying to spend less time on social media."),
    ),
    "Culture": (
        U("Last month I visited the Prado and loved the Velázquez paintings."),
        U("In my country we celebrate the New Year with fireworks and a big family dinner."),
        U("I've just finished a novel by Chimamanda Ngozi Adichie."),
        U("We watched a documentary about the history of jazz."),
        U("The old town has a lot of buildings from the Middle Ages."),
    ),
}

FOLLOW_UPS: dict[str, tuple[str, ...]] = {
    "Travel": (
        "Where would you like to travel next, and why?",
        "What was the best thing you ate on that trip?",
        "Do you prefer planning everything or being spontaneous when you travel?",
        "Have you ever had a problem at an airport? What happened?",
        "How do you usually get around when you visit a new city?",
    ),
    "Job interviews": (
        "Now tell me about a challenge you faced at work and how you solved it.",
        "Why do you think you are the right person for this role?",
        "Where do you see yourself in five years?",
        "What did you like most about your last job?",
        "Do you have any questions for us about the company?",
    ),
    "Food and restaurants": (
        "What would you order as a dessert?",
        "How would you ask the waiter about vegetarian options?",
        "Tell me about a dish from your country that you love.",
        "Do you cook at home often? What's your speciality?",
        "How would you complain politely if your soup was cold?",
    ),
    "Daily routine": (
        "What does a typical evening look like for you?",
        "How is your weekend routine different from your weekdays?",
        "What is the first thing you do when you get to work?",
        "Is there anything in your routine you would like to change?",
        "How do you usually get to work or school?",
    ),
    "Hobbies": (
        "How did you get into that hobby?",
        "How much time do you spend on it every week?",
        "Is there a hobby you'd like to try but haven't yet?",
        "Do you prefer hobbies you do alone or with other people?",
        "What would you recommend to someone who wants to start?",
    ),
    "Small talk": (
        "Any plans for the weekend?",
        "How long have you lived in your city?",
        "What do you usually do to relax after work?",
        "Have you seen any good films lately?",
        "What's the weather like where you are today?",
    ),
    "Business emails": (
        "Now write the closing line of that email.",
        "How would you ask your colleague for a deadline extension?",
        "How would you politely remind a client about an unpaid invoice?",
        "Write a short reply accepting the meeting invitation.",
        "How would you start an email to someone you have never met?",
    ),
    "Health": (
        "What do you do to stay healthy during the week?",
        "How would you describe your symptoms to a doctor?",
        "Do you sleep well? What helps you?",
        "How often do you do sport?",
        "What would you say to a pharmacist if you needed something for a cough?",
    ),
    "Technology": (
        "Which app do you use most every day?",
        "How do you keep your passwords safe?",
        "Do you think we spend too much time on our phones?",
        "How would you explain the problem to a support technician?",
        "What piece of technology could you not live without?",
    ),
    "Culture": (
        "What's a tradition from your country that visitors find surprising?",
        "Which book or film would you recommend to me, and why?",
        "Have you been to a museum recently? What did you see?",
        "What kind of music do people listen to where you live?",
        "Which festival in your country do you enjoy most?",
    ),
}

TOPIC_NAMES = {topic: topic for topic in UTTERANCES}

VOICE = TutorVoice(
    corrections=(
        'Almost! We say "{correction}", not "{excerpt}". {explanation}',
        'Good try. One small fix: "{excerpt}" should be "{correction}". {explanation}',
        'Nearly perfect. Instead of "{excerpt}", say "{correction}". {explanation}',
        'I understood you, but "{excerpt}" isn\'t quite right: it\'s "{correction}". {explanation}',
        'Careful with "{excerpt}": the natural way is "{correction}". {explanation}',
        'Let\'s fix one thing: "{correction}" rather than "{excerpt}". {explanation}',
        'Close! Change "{excerpt}" to "{correction}". {explanation}',
        'Watch out for "{excerpt}"; a native speaker would say "{correction}". {explanation}',
    ),
    recasts=(
        'So: "{fixed}"',
        'The whole sentence: "{fixed}"',
        'Corrected: "{fixed}"',
        'That gives: "{fixed}"',
    ),
    second_error=(
        'And one more: "{correction}" instead of "{excerpt}". {explanation}',
        'Also, "{excerpt}" should be "{correction}". {explanation}',
        'One more detail: say "{correction}", not "{excerpt}". {explanation}',
    ),
    praise=(
        "Perfect, that's all correct.",
        "Very natural, well done!",
        "Nicely said, no mistakes there.",
        "Great, that sounds just like a native speaker.",
        "Well put!",
        "Excellent, that was fluent and correct.",
        "Good, that's exactly how we'd say it.",
        "Lovely sentence.",
    ),
    openers=(
        "Hi {name}! Today's topic: {topic}.",
        'Welcome back, {name}. Let\'s practise the topic "{topic}" today.',
        'Hello {name}! Ready? Our topic today is "{topic}".',
        'Good to see you, {name}. Today we\'re working on "{topic}".',
    ),
    retry=(
        "Can you try the sentence again?",
        "Want to say it once more?",
        "Try it again, and then keep going.",
    ),
)

RATING_COMMENTS = (
    "Clear explanation, thanks!",
    "Very helpful correction.",
    "I didn't understand the explanation.",
    "Good, but a bit too long.",
    "Nice follow-up question.",
    "It corrected something that was already right.",
)

CORPUS = LanguageCorpus(
    language="English",
    natives={
        "Spanish": 3,
        "Italian": 2,
        "Portuguese": 2,
        "French": 1.5,
        "German": 1.5,
        "Mandarin": 2,
        "Japanese": 1.5,
        "Russian": 1,
        "Turkish": 1,
        "Arabic": 1,
        "Hindi": 1,
        "Polish": 1,
    },
    topic_names=TOPIC_NAMES,
    utterances=UTTERANCES,
    clean=CLEAN,
    follow_ups=FOLLOW_UPS,
    voice=VOICE,
    rating_comments=RATING_COMMENTS,
)
