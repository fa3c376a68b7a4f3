#!/usr/bin/env python3
"""Writes the train and validation splits of the intent corpus (train.tsv, val.tsv) from phrasings
written by phenomenon: each list below is one way French callees say something (an opt-out without
the verb "appeler", an acceptance that carries a negation word, a refusal by deflection...), and
each phrasing is said in a few ways a callee and an ASR would (fillers, repetitions, politeness).

The frozen test split (test.tsv) was written by hand before this file and is never read here
except to leave out any line that would repeat one of its utterances. The second one (test2.tsv)
was written after the committed train/val files, which share 18 short lines with it (`make eval`
reports the lines seen nowhere else apart); the next regeneration must leave its lines out too.
Whoever enriches the phrasings below must not have read either split: a phrasing remembered from a
test split is a leak no filter catches. Deterministic (fixed seed):
  python3 tests/data/corpus/generate.py
"""
import random
import re
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
rng = random.Random(20261126)

DEMO = ["hello", "retry", "q1", "q2", "q3", "is_leads"]
RENO = ["renovation.hello", "renovation.retry", "renovation.q1", "renovation.q2", "renovation.q3", "renovation.visit"]
ALL = DEMO + RENO
GREETINGS = ["hello", "retry", "renovation.hello", "renovation.retry"]
QUESTIONS = ["q1", "q2", "q3", "renovation.q1", "renovation.q2", "renovation.q3"]
OFFERS = ["is_leads", "renovation.visit"]
YES_NO = ["q2", "q3", "renovation.q3"] + GREETINGS + OFFERS

# --- phenomena shared by every step -------------------------------------------------------------

DO_NOT_CALL = [
    # with the verb
    "ne m'appelez plus", "ne me rappelez plus jamais", "arrêtez de m'appeler", "n'appelez plus ce numéro",
    "je ne veux plus que vous m'appeliez", "vous m'appelez tous les jours arrêtez", "arrêtez de me téléphoner",
    "ne me téléphonez plus", "c'est la dernière fois que vous m'appelez", "plus jamais vous ne m'appelez",
    "je veux plus être appelé", "je ne veux plus être contactée", "cessez de m'appeler",
    # without the verb
    "retirez mon numéro", "supprimez mes coordonnées", "effacez mon numéro de votre fichier", "enlevez-moi de vos listes",
    "rayez-moi de votre liste", "mettez-moi sur liste rouge", "je suis sur bloctel", "je suis inscrite sur bloctel",
    "je m'oppose au démarchage", "opposition au démarchage téléphonique", "plus de démarchage merci",
    "je ne veux plus de vos appels", "plus d'appels s'il vous plaît", "stop aux appels", "je veux être retiré de votre base",
    "oubliez mon numéro", "perdez mon numéro", "je ne veux plus être sollicité", "désinscrivez-moi",
    "mon numéro n'est pas à vendre supprimez-le", "vous n'avez pas le droit d'avoir mon numéro effacez-le",
    # complaint or threat
    "c'est du harcèlement", "je vais porter plainte si vous rappelez", "je vais signaler votre société",
    "je vais prévenir la cnil", "vous me harcelez", "encore vous c'est insupportable arrêtez",
    "trois fois aujourd'hui ça suffit ne rappelez plus", "j'en ai marre de vos appels",
    "si vous rappelez j'appelle les gendarmes", "je vous dénonce à la répression des fraudes",
]
DNC_LEADS = ["", "", "non ", "non et ", "non non et ", "écoutez ", "bon ", "alors ", "ça suffit ", "oh non "]

ANSWERING_MACHINE = [
    "vous êtes bien sur le répondeur de", "bonjour vous êtes sur la messagerie de", "laissez un message après le bip",
    "laissez votre message après le signal sonore", "je ne suis pas disponible laissez-moi un message",
    "je suis absent pour le moment", "je rappelle dès que possible", "votre correspondant n'est pas disponible",
    "le numéro que vous avez composé n'est pas attribué", "ce numéro n'est plus en service", "la messagerie est pleine",
    "le service est momentanément indisponible", "bienvenue sur la messagerie vocale", "vous êtes bien chez",
    "nos bureaux sont fermés", "merci de rappeler aux heures d'ouverture", "tapez un pour", "ne quittez pas",
    "votre appel va être transféré", "bip", "vous pouvez laisser un message", "boîte vocale de",
]
AM_TAILS = ["", " merci", " au revoir", " bonne journée", " martine", " la famille durand", " et je vous rappelle"]

CALLBACK = [
    "rappelez-moi plus tard", "rappelez-moi demain", "rappelez ce soir", "rappelez demain matin", "rappelez dans une heure",
    "vous pouvez rappeler lundi", "rappelez la semaine prochaine", "rappelez en fin de journée", "recontactez-moi mardi",
    "rappelez vers dix-sept heures", "rappelez après dix-huit heures", "rappelez le mois prochain", "rappelez en mars",
    "rappelez après les vacances", "rappelez à la rentrée", "rappelez après les fêtes", "rappelez après noël",
    "pouvez-vous rappeler samedi", "rappelez-moi jeudi en fin d'après-midi", "un autre jour peut-être rappelez",
    "on peut en reparler demain", "passez-moi un coup de fil ce soir", "ce serait mieux demain", "plutôt vendredi",
    "rappelez dans quinze jours", "repassez un autre jour", "on en reparle la semaine prochaine",
]
BUSY = [
    "je suis occupé", "je suis occupée là", "je suis en voiture", "je conduis", "je suis au travail", "je suis au boulot",
    "je suis en réunion", "c'est pas le moment", "je peux pas parler là", "je suis en train de manger",
    "je suis en rendez-vous", "je suis chez le médecin", "je suis avec un client", "je suis dans le train",
    "là je ne peux pas", "mauvais moment", "je suis pas dispo", "je suis en plein travail", "j'ai les enfants",
    "je suis sur la route", "je suis au supermarché", "je sors de la douche", "je suis en cours",
]
BUSY_TAILS = ["", " rappelez plus tard", " rappelez ce soir", " rappelez-moi", " désolé", " on verra une autre fois"]

QUESTION = [
    "c'est qui", "vous êtes qui", "qui êtes-vous", "c'est quelle société", "vous appelez de la part de qui",
    "c'est à quel sujet", "c'est pour quoi", "c'est pourquoi", "vous vendez quelque chose", "c'est une arnaque",
    "c'est gratuit", "c'est payant", "ça coûte combien", "il y a des frais", "ça m'engage à quoi", "c'est sans engagement",
    "comment vous avez eu mon numéro", "où vous avez trouvé mon numéro", "vous avez eu mes coordonnées comment",
    "vous êtes où", "vous êtes basés où", "vous êtes une vraie personne", "je parle à un robot",
    "c'est un robot", "c'est enregistré", "ça dure combien de temps", "c'est long", "pourquoi moi",
    "vous pouvez répéter la question", "qu'est-ce que vous voulez dire", "ça veut dire quoi", "c'est obligatoire",
    "c'est une pub", "c'est du démarchage", "vous travaillez pour qui", "c'est l'état qui vous envoie",
]

UNCLEAR = [
    "euh", "hein", "quoi", "allô", "allô allô", "pardon", "comment", "je vous entends mal", "ça coupe",
    "vous pouvez répéter", "j'ai pas compris", "j'entends rien", "attendez", "une seconde", "euh attendez",
    "je sais pas", "j'en sais rien", "peut-être", "faut voir", "ça dépend", "bof", "moyen", "mouais",
    "hum", "ben", "euh je sais pas trop", "aucune idée", "difficile à dire", "je réfléchis", "oui non enfin",
    "mais", "attendez je vous entends pas", "allô oui allô", "excusez-moi",
]

# --- answers to greetings and offers ------------------------------------------------------------

GREETING_YES = [
    "oui allez-y", "oui je vous écoute", "allez-y", "ouais vas-y", "oui d'accord", "d'accord", "oui bien sûr",
    "ok allez-y", "oui j'ai deux minutes", "j'ai un moment", "oui rapidement", "vite alors", "si c'est rapide oui",
    "pas de problème", "pas de souci", "sans souci", "non non allez-y", "non non je vous écoute", "non ça va allez-y",
    "ça ne me dérange pas", "c'est pas un problème", "aucun problème", "avec plaisir", "volontiers", "oui dites-moi",
    "dites toujours", "bon allez-y", "ben oui", "ouais", "oui oui", "oui c'est moi", "c'est moi oui", "oui c'est bien moi",
    "je vous en prie", "allez-y je vous écoute", "oui bonjour allez-y", "oui pourquoi pas", "bon d'accord",
]
GREETING_NO = [
    "non merci", "non", "pas intéressé", "pas intéressée", "ça ne m'intéresse pas", "non ça m'intéresse pas",
    "non merci au revoir", "j'ai pas le temps", "je n'ai pas le temps", "non je n'ai pas envie", "pas envie",
    "laissez tomber", "c'est non", "non vraiment", "non c'est bon", "ça ira merci", "non ça ira", "sans façon",
    "je ne veux pas", "je veux pas", "je ne fais pas de sondage", "je ne réponds pas à ce genre d'appel",
    "non je suis pas intéressé", "je n'achète rien au téléphone", "je raccroche", "au revoir", "non j'ai déjà tout",
    "je suis pas concerné", "ça me concerne pas", "non pas du tout", "c'est pas pour moi", "je suis trop vieux pour ça",
]
OFFER_YES = [
    "oui", "oui pourquoi pas", "oui d'accord", "d'accord", "ok", "oui ça me va", "ça marche", "oui volontiers",
    "avec plaisir", "oui rappelez-moi", "oui qu'il me rappelle", "oui il peut m'appeler", "pas de problème", "pas de souci",
    "oui bien sûr", "oui mais le matin", "oui plutôt en fin de journée", "oui mais pas le week-end", "oui si c'est gratuit",
    "bon d'accord", "ben pourquoi pas", "oui envoyez quelqu'un", "oui ça m'intéresse", "c'est d'accord", "allez oui",
    "on peut faire ça", "oui prenons rendez-vous", "d'accord pour un rendez-vous", "oui mardi ça me va",
]
OFFER_NO = [
    "non merci", "non", "non je ne suis pas intéressé", "je vais réfléchir", "je vais y réfléchir", "on verra",
    "envoyez-moi un mail", "envoyez plutôt une brochure", "non pas pour le moment", "pas maintenant non",
    "non je gère seul", "non on n'a besoin de rien", "je ne veux personne chez moi", "non ça ira", "pas la peine",
    "non c'est gentil", "non j'ai déjà quelqu'un", "je préfère pas", "non sans façon", "je n'ai pas les moyens",
]

# --- answers to questions, per step --------------------------------------------------------------

def entity_answers(cues, templates, count):
    """Answers that name one or two of the step's entities: (utterance, [entities])."""
    out = []
    names = list(cues)
    for _ in range(count):
        k = 1 if rng.random() < 0.7 else 2
        chosen = rng.sample(names, k)
        words = [rng.choice(cues[n]) for n in chosen]
        template = rng.choice(templates[k])
        out.append((template.format(*words), chosen))
    return out

SAVINGS = {
    "livret_a": ["un livret a", "le livret a", "un ldd", "un livret", "un lep", "des livrets", "un livret bleu"],
    "pel": ["un pel", "un plan épargne logement", "un cel", "un plan d'épargne logement"],
    "assurance_vie": ["une assurance vie", "deux assurances vie", "une assurance-vie"],
    "actions": ["des actions", "un pea", "un peu de bourse", "un portefeuille d'actions", "des cryptos", "des titres"],
    "immobilier": ["un appartement en location", "de l'immobilier", "des scpi", "un studio que je loue", "un investissement locatif"],
    "per": ["un per", "un plan épargne retraite", "un perp", "un contrat madelin"],
}
OWNER = {"owner": ["propriétaire", "propriétaires", "proprio", "on a acheté", "c'est à nous", "j'ai acheté"],
         "tenant": ["locataire", "locataires", "en location", "je loue", "on loue", "en hlm", "un logement social"]}
HEATING = {
    "fioul": ["au fioul", "une chaudière fioul", "au fuel", "au mazout"],
    "gaz": ["au gaz", "le gaz de ville", "une chaudière gaz", "au propane"],
    "electricite": ["à l'électricité", "des radiateurs électriques", "des convecteurs", "tout électrique", "des grille-pain"],
    "bois": ["au bois", "un poêle à bois", "un poêle à granulés", "une cheminée", "un insert", "des pellets"],
    "pompe_a_chaleur": ["une pompe à chaleur", "une pac", "une clim réversible", "la géothermie"],
}
TWO = ["{} et {}", "{} plus {}", "{} et aussi {}", "{} et un peu {}"]
SAVINGS_T = {1: ["j'ai {}", "oui {}", "{}", "juste {}", "surtout {}", "on a {}", "oui j'ai {}", "euh {} je crois", "{} c'est tout"],
             2: ["j'ai " + t for t in TWO] + ["oui " + t for t in TWO] + TWO}
OWNER_T = {1: ["{}", "je suis {}", "on est {}", "oui {}", "nous sommes {}", "{} depuis dix ans", "ben {}"],
           2: ["{} enfin {}"]}
HEATING_T = {1: ["{}", "c'est {}", "on a {}", "on se chauffe {}", "chez nous c'est {}", "{} depuis toujours", "euh {}"],
             2: TWO + ["on a " + t for t in TWO]}

SAVINGS_NONE = ["non rien", "non rien du tout", "aucune épargne", "non j'ai pas d'épargne", "non pas d'épargne",
                "rien", "pas un sou", "non je n'ai rien de côté", "j'ai pas les moyens d'épargner", "non zéro",
                "non je mets rien de côté", "aucun placement", "pas de placement non", "non on n'a rien"]
PRIVACY = ["ça ne vous regarde pas", "c'est personnel", "c'est privé", "je préfère ne pas répondre", "je ne vais pas vous dire ça",
           "ça vous regarde pas", "mes affaires ne vous regardent pas", "je ne donne pas ce genre d'information",
           "je garde ça pour moi", "pas vos oignons", "je ne réponds pas à ça", "je vois pas pourquoi je vous le dirais"]
WORRY_YES = ["oui ça m'inquiète", "oui beaucoup", "oui un peu", "évidemment", "carrément", "oui forcément", "oui bien sûr",
             "oui tout augmente", "oui ça me préoccupe", "oui c'est un souci", "ah oui quand même", "oui j'y pense",
             "oui les prix montent", "oui mon livret rapporte plus rien", "oui c'est inquiétant", "tout à fait"]
WORRY_NO = ["non", "non pas du tout", "non ça va", "non ça ne m'inquiète pas", "pas vraiment", "pas spécialement",
            "non je m'en fiche", "non pas trop", "non je ne suis pas inquiet", "non ça ne me préoccupe pas", "pas du tout"]
SATISFIED = ["oui très satisfait", "oui content", "oui ça va", "oui il est bien", "oui elle est très bien", "plutôt oui",
             "oui je suis content de ma banque", "oui tout à fait satisfait", "oui rien à dire", "ça va oui"]
UNSATISFIED = ["non pas satisfait", "pas du tout satisfait", "non on ne le voit jamais", "je n'ai pas de conseiller",
               "non il change tout le temps", "non ils ne font rien", "pas vraiment", "bof pas trop", "non c'est nul",
               "je ne suis pas content", "non pas terrible", "franchement non"]
BILLS_YES = ["oui énormément", "oui beaucoup", "oui ça a doublé", "oui c'est devenu très cher", "oui ça a flambé",
             "bien sûr", "oui comme tout le monde", "oui c'est une catastrophe", "oui trop", "ah ça oui"]
BILLS_NO = ["non ça va", "non pas vraiment", "non c'est stable", "pas trop", "non on a isolé", "non pas spécialement",
            "non ça n'a pas bougé", "pas du tout"]


def add_variations(utterance, intent):
    """The same answer as different callees and an ASR would give it."""
    out = [utterance]
    if rng.random() < 0.5:
        out.append(rng.choice(["euh ", "ben ", "bah ", "alors ", "écoutez ", "bon ", "oh ", "ah "]) + utterance)
    if rng.random() < 0.3:
        out.append(utterance + rng.choice([" merci", " hein", " voilà", " madame", " monsieur", " s'il vous plaît"]))
    words = utterance.split()
    if len(words) > 2 and rng.random() < 0.25:
        i = rng.randrange(len(words) - 1)
        out.append(" ".join(words[: i + 1] + [rng.choice(["euh", words[i]])] + words[i + 1:]))
    return out


def examples():
    """Groups of rows: a phrasing and its variations, which go to the same split together (a
    variation in validation of a line in training would make validation too easy)."""
    groups = []

    def add(steps, phrases, intent, leads=("",), tails=("",), entities=None, per=1):
        for phrase in phrases:
            for _ in range(per):
                step = rng.choice(steps)
                text = rng.choice(leads) + phrase + rng.choice(tails)
                groups.append([(step, variant, intent, entities or []) for variant in add_variations(text.strip(), intent)])

    add(ALL, DO_NOT_CALL, "do_not_call", leads=DNC_LEADS, tails=["", " merci", " au revoir", " compris", " c'est clair"], per=3)
    add(GREETINGS + ["q1", "renovation.q1"], ANSWERING_MACHINE, "answering_machine", tails=AM_TAILS, per=3)
    add([s for s in ALL if s not in OFFERS], CALLBACK, "callback", leads=["", "", "non ", "pas maintenant ", "écoutez "], per=3)
    add(OFFERS, [c for c in CALLBACK if any(w in c for w in ("demain", "semaine", "mois", "mars", "vacances", "rentrée", "fêtes", "noël", "quinze"))],
        "callback", per=1)
    add(ALL, BUSY, "callback", tails=BUSY_TAILS, per=2)
    add(ALL, QUESTION, "question", leads=["", "", "mais ", "attendez ", "euh ", "oui mais "], per=3)
    add(ALL, UNCLEAR, "unclear", per=3)
    add(GREETINGS, GREETING_YES, "positive", per=2)
    add(GREETINGS, GREETING_NO, "negative", per=2)
    add(OFFERS, OFFER_YES, "positive", per=2)
    add(OFFERS, OFFER_NO, "negative", per=2)
    for utterance, chosen in entity_answers(SAVINGS, SAVINGS_T, 90):
        groups.append([("q1", v, "positive", chosen) for v in add_variations(utterance, "positive")])
    for utterance, chosen in entity_answers(OWNER, OWNER_T, 40):
        if len(set(chosen)) == 1:
            groups.append([("renovation.q1", v, "positive", chosen) for v in add_variations(utterance, "positive")])
    for utterance, chosen in entity_answers(HEATING, HEATING_T, 70):
        groups.append([("renovation.q2", v, "positive", chosen) for v in add_variations(utterance, "positive")])
    add(["q1"], SAVINGS_NONE, "negative", entities=["none"], per=2)
    add(["q1", "renovation.q1", "renovation.q2"], PRIVACY, "negative", per=2)
    add(["q2"], WORRY_YES, "positive", per=2)
    add(["q2"], WORRY_NO, "negative", per=2)
    add(["q3"], SATISFIED, "positive", per=2)
    add(["q3"], UNSATISFIED, "negative", per=2)
    add(["renovation.q3"], BILLS_YES, "positive", per=2)
    add(["renovation.q3"], BILLS_NO, "negative", per=2)
    # Double intents: the opt-out wins, a question after a yes is still a question.
    add(ALL, ["oui mais ne me rappelez plus après", "d'accord mais retirez mon numéro ensuite", "non merci et supprimez mon numéro"],
        "do_not_call", per=2)
    return groups


def normalized(text):
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return " ".join(re.findall(r"[a-z0-9]+", text))


def main():
    test = set()
    for line in (HERE / "test.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            test.add(normalized(line.split("\t")[1]))
    seen = set()
    groups = []
    for group in examples():
        rows = []
        for step, text, intent, entities in group:
            key = normalized(text)  # an utterance once, whatever the step: no repeat across splits
            if key in seen or key in test:
                continue
            seen.add(key)
            rows.append((step, text, intent, ",".join(entities) if entities else "-"))
        if rows:
            groups.append(rows)
    rng.shuffle(groups)
    total = sum(len(g) for g in groups)
    train, val = [], []
    for group in groups:
        (train if len(train) < total * 85 // 100 else val).extend(group)
    cut = len(train)
    header = ("# Intent corpus, {split} split: generated by tests/data/corpus/generate.py (phrasings written by phenomenon).\n"
              "# step\tutterance\tintent\tentities\n")
    for split, part in (("train", train), ("val", val)):
        with open(HERE / f"{split}.tsv", "w", encoding="utf-8") as f:
            f.write(header.format(split=split))
            for row in sorted(part):
                f.write("\t".join(row) + "\n")
    print(f"train {cut}, validation {total - cut} (a phrasing and its variations in one split)")


if __name__ == "__main__":
    main()
