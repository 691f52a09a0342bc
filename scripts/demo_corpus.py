"""Learner utterances with the errors a tutor would flag, and tutor replies, for demo data.

Each entry: (learner sentence, excerpt, correction, explanation). Target language: English.
"""

from __future__ import annotations

ERROR_SENTENCES: dict[tuple[str, str], list[tuple[str, str, str, str]]] = {
    ("Grammar", "Subject-Verb Agreement"): [
        (
            "She go to the office every morning.",
            "She go",
            "She goes",
            "Third person singular takes -s in the present simple.",
        ),
        (
            "My brother have two cats.",
            "brother have",
            "brother has",
            "'Have' becomes 'has' after he/she/it.",
        ),
        (
            "The list of tasks are on the table.",
            "list of tasks are",
            "list of tasks is",
            "The verb agrees with 'list', not 'tasks'.",
        ),
    ],
    ("Grammar", "Verb Tense"): [
        (
            "Yesterday I go to the cinema with friends.",
            "Yesterday I go",
            "Yesterday I went",
            "Finished past events take the past simple.",
        ),
        (
            "I live here since 2019.",
            "I live here since",
            "I have lived here since",
            "'Since' + a point in time needs the present perfect.",
        ),
        (
            "When I was a child, I am playing football every day.",
            "I am playing",
            "I played",
            "Past habits use the past simple or 'used to'.",
        ),
    ],
    ("Grammar", "Articles"): [
        (
            "I saw a elephant at the zoo.",
            "a elephant",
            "an elephant",
            "Use 'an' before a vowel sound.",
        ),
        (
            "She is best student in the class.",
            "is best student",
            "is the best student",
            "Superlatives take 'the'.",
        ),
        (
            "I want to become the doctor.",
            "become the doctor",
            "become a doctor",
            "Jobs take 'a/an' when not a specific person.",
        ),
    ],
    ("Grammar", "Prepositions"): [
        (
            "I arrived to the airport at six.",
            "arrived to",
            "arrived at",
            "We arrive 'at' a place, 'in' a city.",
        ),
        (
            "We are interested on modern art.",
            "interested on",
            "interested in",
            "'Interested' is followed by 'in'.",
        ),
        ("The meeting is in Monday.", "in Monday", "on Monday", "Days take 'on'."),
    ],
    ("Grammar", "Pronouns"): [
        (
            "Me and my sister went shopping.",
            "Me and my sister",
            "My sister and I",
            "Subjects take subject pronouns.",
        ),
        (
            "Everyone must bring their own book, isn't he?",
            "isn't he",
            "don't they",
            "The tag matches 'everyone' -> 'they'.",
        ),
        ("This is the man which helped me.", "man which", "man who", "Use 'who' for people."),
    ],
    ("Grammar", "Plurals"): [
        (
            "I have many homeworks tonight.",
            "many homeworks",
            "a lot of homework",
            "'Homework' is uncountable.",
        ),
        (
            "There are three childs in the garden.",
            "three childs",
            "three children",
            "'Child' has an irregular plural.",
        ),
    ],
    ("Vocabulary", "Word Choice"): [
        (
            "Can you borrow me your pen?",
            "borrow me",
            "lend me",
            "You 'lend' to someone and 'borrow' from someone.",
        ),
        ("I made a photo of the bridge.", "made a photo", "took a photo", "We 'take' photos."),
        (
            "The film was very boring, I was boring the whole time.",
            "I was boring",
            "I was bored",
            "'-ed' describes how you feel.",
        ),
    ],
    ("Vocabulary", "False Friends"): [
        (
            "I am very embarrassed, I am going to have a baby.",
            "embarrassed",
            "pregnant",
            "'Embarazada' means pregnant; 'embarrassed' means ashamed.",
        ),
        (
            "Actually I live in Madrid, but next year I move.",
            "Actually",
            "Currently",
            "'Actually' means 'in fact', not 'at the moment'.",
        ),
        (
            "The teacher gave us a lot of sensible advice about the exam.",
            "sensible",
            "sensitive",
            "Check: 'sensible' means reasonable, not easily upset.",
        ),
    ],
    ("Vocabulary", "Collocations"): [
        (
            "I need to do a decision today.",
            "do a decision",
            "make a decision",
            "We 'make' decisions.",
        ),
        (
            "It was a strong rain last night.",
            "strong rain",
            "heavy rain",
            "Rain is 'heavy', not 'strong'.",
        ),
    ],
    ("Spelling", "Common Misspellings"): [
        (
            "I recieved your message this morning.",
            "recieved",
            "received",
            "'i' before 'e' except after 'c'.",
        ),
        ("It was definately the best day.", "definately", "definitely", "Spelled de-fi-nite-ly."),
        (
            "We stayed at a beautifull hotel.",
            "beautifull",
            "beautiful",
            "The suffix '-ful' has one 'l'.",
        ),
    ],
    ("Punctuation", "Commas"): [
        (
            "However I don't agree with you.",
            "However I",
            "However, I",
            "Put a comma after an introductory 'however'.",
        ),
        (
            "I like tea, I don't like coffee.",
            "tea, I",
            "tea, but I",
            "Two sentences need a conjunction, not just a comma.",
        ),
    ],
    ("Punctuation", "Apostrophes"): [
        (
            "Its raining again today.",
            "Its raining",
            "It's raining",
            "'It's' = 'it is'; 'its' is possessive.",
        ),
        (
            "The dog wagged it's tail.",
            "it's tail",
            "its tail",
            "Possessive 'its' has no apostrophe.",
        ),
    ],
    ("Word Order", "Adverb Placement"): [
        (
            "I drink always coffee in the morning.",
            "drink always",
            "always drink",
            "Frequency adverbs go before the main verb.",
        ),
        (
            "She speaks very well English.",
            "speaks very well English",
            "speaks English very well",
            "Do not put an adverb between a verb and its object.",
        ),
    ],
    ("Word Order", "Questions"): [
        (
            "Where you live?",
            "Where you live",
            "Where do you live",
            "Questions need the auxiliary 'do'.",
        ),
        ("Why she is late?", "Why she is", "Why is she", "Invert subject and verb in questions."),
    ],
}

CLEAN_SENTENCES = [
    "I would like to practise ordering food in a restaurant.",
    "Last weekend I visited my grandparents in the countryside.",
    "Could you explain the difference between 'since' and 'for'?",
    "I'm preparing for a job interview next week.",
    "My favourite hobby is cooking Italian food.",
    "I think learning languages opens many doors.",
    "We watched a documentary about the ocean.",
    "Can we talk about travelling today?",
    "I usually go running before work.",
    "What does 'break the ice' mean?",
]

TOPICS = [
    "Travel",
    "Job interviews",
    "Food and restaurants",
    "Daily routine",
    "Hobbies",
    "Small talk",
    "Business emails",
    "Health",
    "Technology",
    "Culture",
]

TUTOR_REPLIES = [
    "Nice work! Let's keep going: can you tell me more about that?",
    "Great sentence. Now try using the past simple in your next answer.",
    "That's clear and natural. What would you say to a colleague in the same situation?",
    "Good! Let's practise a few more examples on this topic.",
]

CORRECTION_REPLY = (
    'Almost! We say "{correction}" rather than "{excerpt}": {explanation} Try the sentence again?'
)

FIRST_NAMES = [
    "Ana",
    "Luca",
    "Mei",
    "Omar",
    "Sofia",
    "Hiro",
    "Lena",
    "Carlos",
    "Aisha",
    "Pierre",
    "Yuki",
    "Marta",
    "Ivan",
    "Fatima",
    "Jonas",
    "Priya",
    "Diego",
    "Elif",
    "Kwame",
    "Nora",
]
LAST_NAMES = [
    "Garcia",
    "Rossi",
    "Chen",
    "Haddad",
    "Silva",
    "Tanaka",
    "Muller",
    "Lopez",
    "Khan",
    "Dubois",
    "Sato",
    "Novak",
    "Petrov",
    "Yilmaz",
    "Mensah",
    "Berg",
    "Costa",
    "Nguyen",
]
NATIVE_LANGUAGES = [
    "Spanish",
    "Italian",
    "Mandarin",
    "Arabic",
    "Portuguese",
    "Japanese",
    "German",
    "French",
    "Turkish",
    "Russian",
    "Hindi",
]

# provider, model, share of traffic
MODELS = [
    ("openai", "gpt-4o-mini", 0.35),
    ("anthropic", "claude-sonnet-4", 0.25),
    ("openai", "gpt-4o", 0.15),
    ("gemini", "gemini-2.0-flash", 0.15),
    ("groq", "llama-3.3-70b-versatile", 0.10),
]
