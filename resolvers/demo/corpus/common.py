"""What every language's demo data shares: session topics, AI models, and who the learners are.

Topics are stored in English on sessions (they are keys of the cost report's byTopic);
each language module gives their display names for the tutor's own words.
"""

from __future__ import annotations

TOPICS: tuple[str, ...] = (
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
)

# provider, model, share of traffic
MODELS: tuple[tuple[str, str, float], ...] = (
    ("openai", "gpt-4o-mini", 0.35),
    ("anthropic", "claude-sonnet-4", 0.25),
    ("openai", "gpt-4o", 0.15),
    ("gemini", "gemini-2.0-flash", 0.15),
    ("groq", "llama-3.3-70b-versatile", 0.10),
)

# Share of learners per target language; the rest of a learner follows from the native
# language (names, where they live). English is the most learnt, as on most platforms.
TARGET_SHARES: dict[str, float] = {"English": 0.4, "Spanish": 0.3, "German": 0.3}

# Share of learners who never set a time zone (the API then uses UTC).
NO_TIME_ZONE_SHARE = 0.15


class Native:
    """First names, family names and IANA time zones typical of a native language."""

    __slots__ = ("first", "last", "zones")

    def __init__(self, first: str, last: str, zones: str) -> None:
        self.first = tuple(first.split())
        self.last = tuple(last.split())
        self.zones = tuple(zones.split())


NATIVES: dict[str, Native] = {
    "English": Native(
        "Emma Oliver James Chloe Liam Grace Noah Hannah Jack Megan",
        "Smith Johnson Brown Taylor Walker Wilson Clarke Evans Murphy Campbell",
        "Europe/London America/New_York America/Chicago America/Los_Angeles "
        "Australia/Sydney America/Toronto Europe/Dublin",
    ),
    "Spanish": Native(
        "Lucía Carlos María Javier Sofía Diego Carmen Pablo Valentina Andrés",
        "García López Martínez Sánchez Romero Torres Ramírez Flores Herrera Castro",
        "Europe/Madrid America/Mexico_City America/Bogota America/Argentina/Buenos_Aires "
        "America/Lima America/Santiago",
    ),
    "German": Native(
        "Lena Jonas Anna Lukas Marie Felix Sophie Paul Laura Tobias",
        "Müller Schmidt Schneider Fischer Weber Wagner Becker Hoffmann Koch Richter",
        "Europe/Berlin Europe/Vienna Europe/Zurich",
    ),
    "French": Native(
        "Camille Louis Chloé Hugo Léa Antoine Manon Julien",
        "Martin Bernard Dubois Moreau Laurent Lefèvre Girard Roux",
        "Europe/Paris Europe/Brussels America/Montreal",
    ),
    "Italian": Native(
        "Giulia Luca Francesca Marco Chiara Matteo Sara Alessandro",
        "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci",
        "Europe/Rome",
    ),
    "Portuguese": Native(
        "Ana João Beatriz Pedro Mariana Rafael Inês Tiago",
        "Silva Santos Oliveira Souza Costa Pereira Almeida Carvalho",
        "America/Sao_Paulo Europe/Lisbon",
    ),
    "Mandarin": Native(
        "Mei Wei Li Jun Xin Hao Yan Lei",
        "Wang Li Zhang Liu Chen Yang Huang Zhao",
        "Asia/Shanghai Asia/Taipei Asia/Singapore",
    ),
    "Japanese": Native(
        "Yuki Haruto Aoi Sota Hina Ren Sakura Daiki",
        "Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura",
        "Asia/Tokyo",
    ),
    "Russian": Native(
        "Olga Ivan Anastasia Dmitri Ekaterina Sergei Natalia Alexei",
        "Ivanova Petrov Smirnova Volkov Kuznetsova Popov Sokolova Lebedev",
        "Europe/Moscow Asia/Yekaterinburg",
    ),
    "Turkish": Native(
        "Elif Mehmet Zeynep Emre Ayşe Can Selin Burak",
        "Yılmaz Kaya Demir Şahin Çelik Yıldız Aydın Öztürk",
        "Europe/Istanbul",
    ),
    "Polish": Native(
        "Zofia Jakub Julia Kacper Maja Szymon Natalia Michał",
        "Nowak Kowalski Wiśniewska Wójcik Kamińska Lewandowski Zielińska Szymański",
        "Europe/Warsaw",
    ),
    "Arabic": Native(
        "Aisha Omar Fatima Youssef Layla Karim Nour Hassan",
        "Haddad Khalil Mansour Nasser Saleh Farah Aziz Hamdan",
        "Africa/Cairo Asia/Dubai Asia/Amman Africa/Casablanca",
    ),
    "Hindi": Native(
        "Priya Arjun Ananya Rohan Kavya Vikram Diya Rahul",
        "Sharma Patel Gupta Singh Kumar Mehta Iyer Reddy",
        "Asia/Kolkata",
    ),
}
