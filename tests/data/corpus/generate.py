#!/usr/bin/env python3
"""Writes the train and validation splits of the intent corpus (train.tsv, val.tsv) from phrasings
written by phenomenon: each list below is one way French callees say something (an opt-out without
the verb "appeler", an acceptance that carries a negation word, a refusal by deflection...), and
each phrasing is said in a few ways a callee and an ASR would (fillers, repetitions, politeness).

The frozen test splits (test.tsv, written by hand before this file; test2.tsv, written after the
first model) are never read here except to leave out any line that would repeat one of their
utterances. Whoever enriches the phrasings below must not have read either split: a phrasing
remembered from a test split is a leak no filter catches (the second enrichment, below the first
lists, was written in a session that had not read them). Deterministic (fixed seed):
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


# --- second enrichment (session 4), written by phenomenon without reading either test split -------

DO_NOT_CALL += [
    # without the verb "appeler": contact, disturbance, data, lists
    "ne me contactez plus", "je ne souhaite plus être contacté", "merci de ne plus me contacter", "plus aucun contact",
    "ne me dérangez plus", "arrêtez de me déranger", "cessez vos appels", "ne m'embêtez plus", "fichez-moi la paix",
    "foutez-moi la paix une bonne fois pour toutes", "lâchez-moi avec vos appels", "laissez-moi tranquille définitivement",
    "je veux plus de coups de fil", "arrêtez avec vos coups de fil", "je ne veux plus recevoir d'appels de votre part",
    "je ne veux plus vous entendre", "je veux plus jamais entendre parler de vous", "ne revenez plus vers moi",
    "retirez-moi de votre fichier", "sortez-moi de votre fichier", "virez mon numéro", "radiez-moi",
    "retirez-moi de la liste d'appels", "mettez-moi sur votre liste d'exclusion", "inscrivez-moi sur la liste d'opposition",
    "je suis inscrit sur la liste d'opposition", "gardez pas mon numéro", "merci de supprimer mon numéro",
    "supprimez toutes mes données", "détruisez mes données", "j'exerce mon droit d'opposition", "rgpd supprimez mes données",
    "je veux que vous effaciez mes données personnelles", "ce numéro ne doit plus être appelé", "ne composez plus ce numéro",
    "aucun appel à ce numéro", "je refuse tout démarchage", "je refuse d'être démarché", "je ne veux plus être démarchée",
    # about the number, the list, the law
    "vous n'avez pas le droit de me démarcher", "le démarchage est interdit", "c'est illégal ce que vous faites",
    "je suis sur la liste bloctel vous n'avez pas le droit", "j'ai refusé le démarchage retirez-moi",
    # complaint, threat, repetition
    "c'est du harcèlement téléphonique", "je vais appeler mon avocat", "je vais faire un signalement", "je vais déposer plainte",
    "je signale ce numéro", "je note votre numéro pour la plainte", "vous rappelez encore une fois je porte plainte",
    "c'est la police que je vais appeler", "ça fait dix fois que vous appelez", "vous êtes la cinquième fois cette semaine",
    "je vous ai déjà dit de retirer mon numéro", "je vous l'ai déjà demandé supprimez-moi", "je bloque votre numéro",
    "je vous mets sur liste noire", "vos robots ça suffit maintenant", "je veux plus entendre parler de votre boîte",
    # for someone else
    "arrêtez d'appeler ma mère", "c'est une personne âgée ne l'appelez plus", "mon mari ne veut plus être appelé",
    # short and familiar
    "stop", "stop stop", "stop au démarchage", "plus jamais", "jamais plus d'appel", "m'appelez plus", "appelez plus jamais",
    "rappelez plus jamais", "rappelez plus", "me rappelez pas", "plus la peine de rappeler jamais",
]
ANSWERING_MACHINE += [
    "bonjour vous êtes bien au cabinet", "vous êtes en relation avec la messagerie de", "merci de laisser vos coordonnées",
    "laissez vos nom et numéro je vous rappellerai", "parlez après le bip sonore", "à la fin du message vous pouvez raccrocher",
    "pour laisser un message tapez un", "appuyez sur la touche étoile", "l'abonné que vous cherchez à joindre n'est pas disponible",
    "votre correspondant est en ligne", "votre correspondant est actuellement injoignable", "veuillez rappeler ultérieurement",
    "le numéro de votre correspondant n'est plus attribué", "veuillez patienter", "tous nos conseillers sont occupés",
    "votre appel est important pour nous", "bonjour et bienvenue chez", "nos horaires d'ouverture sont du lundi au vendredi",
    "le cabinet est fermé", "pour joindre le service client tapez deux", "l'accès à votre correspondant est impossible",
    "messagerie orange bonjour", "vous êtes sur la boîte vocale de", "votre message sera transmis",
    "enregistrez votre message", "votre appel a été redirigé vers la messagerie", "la personne que vous appelez n'est pas joignable",
    "je suis en congés jusqu'au lundi", "je suis absente jusqu'au quinze", "nous sommes actuellement fermés",
    "en cas d'urgence composez le quinze", "bonjour c'est pierre laissez un message", "salut c'est moi laisse un message",
    "coucou c'est julie je suis pas là", "hello c'est marc laisse-moi un petit message", "les services de votre correspondant sont restreints",
    "le numéro demandé n'est pas disponible", "ce numéro n'est pas joignable actuellement", "un message après le bip merci",
]
CALLBACK += [
    "rappelez-moi le douze", "rappelez le vingt-trois juin", "appelez-moi début avril", "plutôt fin mai", "rappelez en septembre",
    "après le quinze août", "rappelez après mon opération", "après mon déménagement", "quand je serai rentré de vacances",
    "après le mariage de ma fille", "rappelez après la toussaint", "après pâques", "après le nouvel an", "rappelez-moi en janvier",
    "rappelez dans deux semaines", "dans un mois", "d'ici une semaine", "la semaine d'après", "après-demain", "lundi matin",
    "mercredi après-midi ce serait mieux", "vers midi", "entre midi et deux", "à l'heure du déjeuner", "après dix-neuf heures",
    "avant neuf heures", "un soir de la semaine", "en fin de matinée", "rappelez à quatorze heures", "à seize heures trente",
    "dans une demi-heure", "dans dix minutes", "tout à l'heure", "un peu plus tard", "rappelez quand mon mari sera là",
    "rappelez quand ma femme sera rentrée", "c'est mon mari qui gère rappelez ce soir", "voyez avec mon fils il rentre à six heures",
    "je préfère qu'on en parle demain", "on se rappelle", "recontactez-moi plus tard", "rappelez une autre fois",
    "pas aujourd'hui demain peut-être", "demain ça m'arrange mieux", "plutôt en soirée", "je suis dispo à partir de dix-huit heures",
    "pouvez-vous me rappeler dans l'après-midi", "rappelle-moi ce soir", "tu peux rappeler plus tard", "rappelez après le boulot",
]
BUSY += [
    "je suis en pleine réunion", "je suis au volant", "je suis aux urgences", "je suis à l'hôpital", "je suis avec mon bébé",
    "je donne le bain aux enfants", "je suis en train de cuisiner", "on est à table", "on passe à table", "je suis au restaurant",
    "je suis à l'étranger", "je suis en déplacement", "je suis sur un chantier", "je suis en train de bosser",
    "j'ai du monde à la maison", "je suis sur l'autre ligne", "j'ai un double appel", "je suis pressé", "je cours là",
    "je suis en retard", "je suis attendu", "je suis au téléphone avec quelqu'un", "je suis au guichet", "je suis à la caisse",
]
QUESTION += [
    "vous êtes de quelle banque", "vous êtes une banque", "c'est une assurance", "vous êtes conseiller", "c'est pour une enquête",
    "c'est un sondage", "vous connaissez mon nom", "vous m'appelez d'où", "vous avez un site internet", "je peux avoir votre nom",
    "il faut payer quelque chose", "ça me coûtera rien", "et ça rapporte combien", "le taux c'est combien", "c'est garanti",
    "il y a un risque", "vous êtes agréé", "c'est qui votre patron", "et après il se passe quoi", "il vient chez moi",
    "faut que je me déplace", "ça se passe comment", "c'est quoi le principe", "expliquez-moi d'abord",
    "j'aimerais en savoir plus", "dites-m'en plus", "c'est-à-dire", "dans quel but", "pour quoi faire",
    "vous voulez savoir ça pourquoi", "il y a des aides de l'état", "c'est éligible à maprimerénov", "ma maison est concernée",
    "ça marche aussi pour les appartements", "c'est vous qui faites les travaux", "c'est quoi votre société exactement",
    "je vous connais pas vous êtes qui", "vous êtes un humain", "je parle à une machine là", "c'est une voix automatique",
    "vous êtes une intelligence artificielle", "mon numéro vous l'avez eu par qui", "c'est gratuit alors",
    "et c'est sans engagement", "donc vous êtes une banque", "vous êtes pas une arnaque au moins", "quel genre de placement",
    "combien ça rapporte", "vous proposez quoi", "ça consiste en quoi", "et vous c'est quoi votre rôle", "c'est combien le devis",
]
UNCLEAR += [
    "hmm", "hm hm", "mmh", "heu", "ah", "oh", "bah", "ben euh", "alors euh", "euh oui non je sais pas", "allô vous m'entendez",
    "je capte mal", "il y a de la friture", "ça grésille", "parlez plus fort", "je comprends rien", "j'ai rien compris",
    "vous parlez trop vite", "plus lentement", "répétez", "redites-moi ça", "pardon vous dites", "comment ça", "de quoi",
    "hein quoi", "attendez deux secondes", "ouais euh", "oui euh", "non euh enfin", "c'est compliqué",
    "je saurais pas vous dire", "aucune idée franchement", "je sais plus", "pourquoi pas enfin je sais pas", "mouais bof",
    "pff", "oh là là", "ouh là", "chais pas", "j'sais pas trop", "je vous entends plus", "le réseau passe mal",
]
GREETING_YES += [
    "non non pas de souci", "non non c'est bon allez-y", "non vous ne me dérangez pas", "vous me dérangez pas", "non pas du tout allez-y",
    "pas de soucis je vous écoute", "y a pas de problème", "y a pas de souci", "aucun souci", "sans problème", "nickel allez-y",
    "bah ouais", "ouais ouais", "ouais allez", "vas-y je t'écoute", "dites-moi tout", "je vous écoute allez", "oui oui je suis là",
    "c'est bien moi oui", "lui-même", "elle-même", "moi-même", "en personne", "c'est moi-même oui", "oui c'est pour moi",
    "oui oui vous pouvez", "non non je suis disponible", "j'ai le temps allez-y", "ça me dérange pas du tout",
]
GREETING_NO += [
    "je suis pas la bonne personne", "c'est pas moi qui m'occupe de ça", "ça ne m'intéresse absolument pas", "j'ai pas besoin",
    "on a déjà tout ce qu'il faut", "merci mais non", "non merci bonne journée", "je ne parle pas aux commerciaux",
    "je ne traite rien par téléphone", "vous perdez votre temps", "vous tombez mal", "très peu pour moi", "ça va aller merci",
    "nan", "nan merci", "nan c'est bon", "non mais non", "certainement pas", "hors de question", "absolument pas",
    "même pas en rêve", "pas question", "je suis à la retraite ça m'intéresse pas", "je suis déjà équipé",
    "j'ai déjà un conseiller", "ma banque s'en occupe", "non je vous arrête tout de suite", "c'est gentil mais non",
]
OFFER_YES += [
    "ouais ça roule", "ça me va", "banco", "allez on fait comme ça", "oui je veux bien", "je veux bien oui",
    "volontiers qu'il m'appelle", "oui envoyez-le jeudi", "oui mais après dix-sept heures", "oui le samedi matin ça m'arrange",
    "ok pour moi", "c'est bon pour moi", "pas de problème pour le rendez-vous", "non non ça me dérange pas qu'il passe",
    "il peut passer oui", "qu'il vienne", "je suis d'accord", "entendu", "parfait", "très bien", "super", "top",
]
OFFER_NO += [
    "je ne prends pas de rendez-vous par téléphone", "non je préfère me renseigner moi-même", "je vais voir avec ma banque",
    "je verrai avec mon conseiller", "non pas de visite", "pas de rendez-vous merci", "je n'ai besoin de personne",
    "non je n'en vois pas l'intérêt", "ça ne servira à rien", "pas besoin", "non c'est pas la peine", "c'est inutile",
    "nan merci", "non ça m'intéresse plus", "finalement non",
]
PRIVACY += [
    "je ne parle pas de mes finances au téléphone", "je ne donne pas d'informations personnelles", "ça c'est entre moi et ma banque",
    "je ne vais pas détailler", "je ne communique pas là-dessus", "c'est confidentiel", "occupez-vous de vos affaires",
    "je vous dirai rien", "ça reste entre moi et moi",
]
UNSATISFIED += [  # describing the adviser, not asking the bot: "il ne me rappelle jamais" is no opt-out
    "il ne me rappelle jamais", "mon conseiller ne rappelle jamais", "elle ne répond jamais", "on n'arrive jamais à le joindre",
    "il ne m'appelle jamais pour me conseiller", "ils ne rappellent jamais quand on a un problème", "on le voit jamais",
]
UNCLEAR += ["je ne sais pas", "je ne sais pas trop", "je ne sais vraiment pas", "je sais pas c'est mon mari qui gère", "aucune idée c'est ma femme qui paie les factures", "faut voir avec mon mari je sais pas"]
SAVINGS["actions"] += ["quelques actions", "des actions en bourse", "un peu d'actions"]
SAVINGS["immobilier"] += ["dans la pierre", "investi dans la pierre", "un bien locatif"]
DOUBLE = [  # two intents in one turn: the one the bot must act on
    ("pas intéressé et retirez-moi de votre liste", "do_not_call"), ("oui non enfin ne me rappelez plus", "do_not_call"),
    ("c'est qui et vous avez eu mon numéro comment", "question"), ("d'accord mais c'est gratuit", "question"),
    ("oui je veux bien mais je suis en voiture rappelez ce soir", "callback"), ("oui mais pas maintenant rappelez demain", "callback"),
    ("non merci et ne rappelez jamais", "do_not_call"), ("bonjour oui c'est à quel sujet", "question"),
    ("allô oui c'est pour quoi", "question"), ("oui allô qui est à l'appareil", "question"),
]

FAMILIAR = [(r"\bne (?=\w)", ""), (r"\bn'", ""), (r"\bje suis\b", "chuis"), (r"\bje sais\b", "chais"), (r"\bil y a\b", "y a"),
            (r"\boui\b", "ouais"), (r"\bnon\b", "nan"), (r"\bvous êtes\b", "z'êtes"), (r"\bcela\b", "ça")]


def familiar(utterance):
    """The same words as spoken familiarly: no "ne", "chuis", "y a", "ouais" (one or two at a time)."""
    out = utterance
    for pattern, replacement in rng.sample(FAMILIAR, 3):
        out = re.sub(pattern, replacement, out)
    return out


def add_variations(utterance, intent):
    """The same answer as different callees and an ASR would give it."""
    out = [utterance]
    if rng.random() < 0.5:
        out.append(rng.choice(["euh ", "ben ", "bah ", "alors ", "écoutez ", "bon ", "oh ", "ah "]) + utterance)
    if rng.random() < 0.3:
        out.append(utterance + rng.choice([" merci", " hein", " voilà", " madame", " monsieur", " s'il vous plaît"]))
    if rng.random() < 0.3:
        out.append(familiar(utterance))
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
    for text, intent in DOUBLE:
        add(ALL, [text], intent, per=2)
    return groups


def normalized(text):
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return " ".join(re.findall(r"[a-z0-9]+", text))


def main():
    test = set()  # both frozen splits: a generated line never repeats one of their utterances
    for split in ("test.tsv", "test2.tsv"):
        for line in (HERE / split).read_text(encoding="utf-8").splitlines():
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
