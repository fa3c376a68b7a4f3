#!/usr/bin/env python3
"""Writes the train and validation splits of the intent corpus (train.tsv, val.tsv) from phrasings
written by phenomenon: each list below is one way French callees say something (an opt-out without
the verb "appeler", an acceptance that carries a negation word, a refusal by deflection...), and
each phrasing is said in a few ways a callee and an ASR would (fillers, repetitions, politeness).

The frozen test splits (test.tsv, written by hand before this file; test2.tsv, written after the
first model; test3.tsv, the latest) are never read here except to leave out any line that would
repeat one of their utterances. Whoever enriches the phrasings below must not have read any split:
a phrasing remembered from a test split is a leak no filter catches (the second and third
enrichments, below the first lists, were written in sessions that had not read them). Deterministic
(fixed seed):
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
    "qu'est-ce que vous voulez dire", "ça veut dire quoi", "c'est obligatoire",
    "c'est une pub", "c'est du démarchage", "vous travaillez pour qui", "c'est l'état qui vous envoie",
]

UNCLEAR = [
    "euh", "hein", "quoi", "allô", "allô allô", "pardon", "comment", "je vous entends mal", "ça coupe",
    "vous pouvez répéter", "vous pouvez répéter la question", "j'ai pas compris", "j'entends rien", "attendez", "une seconde", "euh attendez",
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

# --- third enrichment (issue 23): hard French, written without reading any test split -----------
# Irony, refusals by politeness and acceptances that carry a negation, questions by intonation only,
# repair requests and hesitation, carrier and operator messages, opt-outs as a French ASR mishears
# them, long answers decided at the end, callbacks said as a situation, regional and familiar speech,
# garbled ASR text. Conventions kept from above: busy without a time is a callback; a refusal of the
# offer that does not ask to stop the calls is negative; an opt-out anywhere in the turn wins.

# Irony and sarcasm meaning refusal (at a greeting or an offer).
IRONY_NO = [
    "ah super exactement ce qu'il me fallait", "génial encore un démarcheur", "c'est ça et moi je suis le pape",
    "mais oui bien sûr et la marmotte elle met le chocolat dans le papier d'alu", "ben voyons", "ben voyons et puis quoi encore",
    "c'est ça oui", "mais bien sûr", "oh chouette un appel commercial ma journée est faite",
    "trop bien un robot qui m'appelle pour mon épargne", "ah ben ça tombe bien j'attendais que ça",
    "super une assistante virtuelle il manquait plus que ça", "formidable vraiment formidable mais non",
    "ouais c'est ça compte là-dessus", "compte là-dessus et bois de l'eau fraîche", "cause toujours",
    "vous pouvez toujours courir", "tu peux toujours courir", "c'est ça et demain on rase gratis",
    "gratuit oui c'est ça et moi je suis la reine d'angleterre", "ah oui gratuit comme d'habitude on connaît la chanson",
    "c'est beau de rêver", "vous rêvez ma pauvre dame", "vous rêvez mon pauvre monsieur", "ouais ouais c'est ça",
    "mais oui mais oui c'est ça", "et mon œil", "gratuit mon œil", "à d'autres", "on me l'a déjà faite celle-là",
    "je suis pas né de la dernière pluie", "je ne suis pas tombée de la dernière pluie", "vous me prenez pour un pigeon",
    "et puis quoi encore", "il ne manquait plus que ça", "manquait plus que ça tiens", "encore une arnaque non merci",
    "bravo vous avez trouvé le pigeon mais c'est raté", "c'est ça et le père noël il existe aussi",
    "oui oui et la tour eiffel elle est à vendre aussi", "génial un conseiller de plus qui veut mon argent",
    "oh comme c'est original un cabinet de conseil", "ah ben tiens justement non", "ben tiens pardi",
    "ça m'aurait étonné tiens", "quelle idée formidable non merci", "félicitations pour votre persévérance mais c'est non",
    "oh là là le beau cadeau mais non merci", "des aides gratuites c'est ça et les poules ont des dents",
    "un technicien gratuit et puis après la facture salée non merci", "oui c'est ça on m'a déjà fait le coup",
    "merveilleux un appel pendant ma sieste", "oh génial pile à l'heure du repas bravo", "quelle chance j'ai aujourd'hui",
    "c'est exactement ce dont je rêvais ce matin", "passionnant vraiment mais sans moi", "alors là vous m'avez convaincu hein",
    "ah oui c'est tentant comme une rage de dents", "j'en meurs d'envie vous n'imaginez pas",
]
IRONY_DNC = [
    "génial encore vous rayez-moi de votre liste", "quelle bonne surprise encore vous ne rappelez plus",
    "ah c'est encore vous la dixième fois de la semaine vraiment bravo", "merci de m'appeler tous les jours c'est trop gentil maintenant oubliez mon numéro",
    "bravo pour la persévérance maintenant effacez mon numéro", "ah super un robot de plus allez hop je vais sur bloctel",
    "c'est ça et moi je suis le pape rappelez plus jamais", "encore un démarcheur génial je suis sur liste rouge vous savez",
    "trop aimable de me rappeler pour la énième fois retirez-moi", "oh quelle joie encore votre cabinet perdez mon numéro",
    "ben voyons et vous allez me rappeler demain aussi non plus jamais", "génial un démarcheur un dimanche je vais signaler votre numéro",
    "c'est trop gentil de penser à moi tous les jours mais ne m'appelez plus", "super le harcèlement commercial bravo",
    "j'adore qu'on me harcèle au téléphone vraiment", "ah c'est sympa de m'appeler pour la troisième fois aujourd'hui vous voulez pas arrêter",
    "quel plaisir encore un appel de chez vous la prochaine fois je porte plainte", "oh génial je vais pouvoir tester mon inscription sur bloctel",
    "encore vous mais quel bonheur allez supprimez-moi de vos fichiers", "ouais super votre robot tous les matins arrêtez de m'appeler",
    "vous êtes vraiment doués pour appeler au mauvais moment tous les jours rayez-moi",
]
# Sarcasm that answers the question: "très satisfait... je ne le vois jamais" is not satisfied,
# "non non elles ont juste doublé" is a rise.
IRONY_BY_STEP = [
    (["q3"], "negative", [
        "satisfait ah ah laissez-moi rire", "oh oui ravi je l'ai vu une fois en dix ans", "ah ça pour être suivi je suis suivi il ne me rappelle jamais",
        "génial il change tous les six mois", "super suivi on ne le voit jamais", "oui oui très satisfait il me colle des frais partout",
        "le suivi quel suivi", "un conseiller ah bon j'en ai un moi", "oh oui comblée elle ne répond jamais au téléphone",
        "ravi je paie des frais pour rien", "satisfait c'est un grand mot", "c'est le grand amour avec ma banque vous pensez bien",
    ]),
    (["renovation.q3"], "positive", [
        "non non elles ont juste doublé", "à peine juste le double", "oh non pas du tout juste trois cents euros de plus par an",
        "penses-tu ça a seulement triplé", "un peu vous rigolez ça a explosé", "ah non elles ont baissé c'est bien connu",
        "non pas du tout c'est pour ça que je chauffe plus qu'une pièce",
    ]),
    (["q2"], "positive", [
        "ah non pas du tout c'est pas comme si tout augmentait", "non non je dors très bien avec mon livret qui rapporte des miettes",
    ]),
]

# Refusals by politeness that never say "non".
POLITE_NO = [
    "c'est gentil de penser à moi mais je laisse ma place", "je vais passer mon tour", "ça ira comme ça merci",
    "je vous remercie mais ça ira", "merci beaucoup mais je vais m'abstenir", "je vais m'abstenir",
    "c'est très aimable mais je suis bien comme je suis", "merci je suis déjà bien servi", "je suis bien servie merci",
    "merci mais je suis déjà bien entouré", "je vous remercie de votre appel mais ce sera sans moi", "ce sera sans moi",
    "je laisse ma place à quelqu'un d'autre", "gardez ça pour quelqu'un que ça intéresse", "proposez ça à quelqu'un d'autre",
    "je préfère décliner", "je décline poliment", "je vais décliner votre offre", "merci pour la proposition je vais la décliner",
    "je me contente de ce que j'ai", "je me débrouille très bien tout seul merci", "on se débrouille très bien comme ça",
    "je suis satisfait de ce que j'ai", "bonne journée à vous au revoir", "merci de votre appel bonne continuation",
    "bonne continuation madame", "je vous souhaite bon courage pour la suite de vos appels", "bon courage à vous mais ce sera tout",
    "ce sera tout pour moi", "on va en rester là", "restons-en là si vous voulez bien", "je crois que je vais m'en passer",
    "je vais m'en passer", "je m'en passerai merci", "c'est aimable mais j'ai ce qu'il faut", "j'ai déjà ce qu'il me faut",
    "tout est déjà en ordre de mon côté", "j'ai déjà fait le nécessaire", "c'est déjà réglé de mon côté",
    "c'est une gentille attention mais j'ai tout ce qu'il faut", "ce n'est pas nécessaire", "vous êtes bien aimable mais ça ne me tente pas",
    "sans vouloir vous vexer je vais refuser", "je préfère en rester là merci", "je n'en ai pas l'utilité",
    "ça ne correspond pas à mes besoins", "ça ne me correspond pas", "ce n'est pas d'actualité pour moi", "ce n'est pas à l'ordre du jour",
    "pas d'actualité", "je vais me passer de vos services", "je préfère garder mes habitudes", "je suis fidèle à ma banque",
    "j'ai mes habitudes avec mon banquier", "je reste avec mon conseiller habituel", "mon fils s'occupe de tout ça pour moi",
    "merci quand même", "merci quand même bonne journée", "c'est gentil quand même", "vous êtes gentille mais je ne vais pas donner suite",
    "je ne vais pas donner suite", "je ne donnerai pas suite", "je ne souhaite pas donner suite", "ça ira je vous remercie",
    "je vais vous laisser", "je vais vous laisser bonne journée", "je crains que ce soit sans intérêt pour moi",
    "je suis navrée mais ce sera non", "désolé mais je ne suis pas preneur", "pas preneur merci", "je ne suis pas demandeur",
    "je suis pas demandeuse", "c'est pas mon truc", "c'est pas trop mon truc", "ça ne me parle pas trop",
    "merci de votre gentillesse mais non merci", "j'apprécie l'attention mais je passe", "je passe", "je passe mon tour cette fois",
    "je préfère m'abstenir", "je ne me sens pas concerné", "à mon âge on ne place plus rien", "je préfère qu'on en reste là",
    "je ne voudrais pas vous faire perdre votre temps", "ne perdez pas votre temps avec moi", "vous trouverez sûrement quelqu'un d'autre",
    "merci de votre sollicitude", "c'est très gentil à vous vraiment mais je suis comblé", "je vais me contenter de ma banque",
    "je garde mon argent où il est", "je n'ai besoin de rien merci bien", "je crois que ça ira", "ça ira très bien comme ça",
]
POLITE_NO_OFFER = [  # at the offer only: a visit, an adviser, works
    "j'ai déjà mon artisan", "on a déjà notre chauffagiste", "on a déjà fait les travaux l'an dernier", "on vient de tout refaire",
    "la maison est déjà isolée merci", "on a déjà eu la visite d'un technicien", "j'ai déjà eu un diagnostic",
    "je m'occupe de tout ça moi-même", "à mon âge on ne fait plus de travaux", "on va vendre la maison alors les travaux",
    "je préfère voir ça avec mon banquier", "mon conseiller fait déjà ça très bien", "je ne reçois personne à la maison",
    "c'est aimable à vous mais je vais y réfléchir de mon côté", "je laisse ça à mes enfants", "j'ai mon notaire pour ça",
]
# Acceptances that carry "non" or a negation.
NEG_YES = [
    "non mais vas-y je t'écoute", "non aucun problème allez-y", "je ne dis pas non", "je dis pas non",
    "non non vous ne me dérangez pas du tout", "non pas de problème je vous écoute", "non c'est bon je vous écoute",
    "non mais allez-y dites-moi", "non non dites-moi", "non ça va j'ai deux minutes", "non je ne suis pas pressé allez-y",
    "je ne suis pas occupé allez-y", "je ne fais rien de spécial allez-y", "je n'ai rien de prévu je vous écoute",
    "ça ne me gêne pas", "ça ne me gêne pas du tout", "ça ne m'ennuie pas", "il n'y a aucun souci", "y a pas de mal allez-y",
    "je ne vais pas refuser", "ce n'est pas de refus", "c'est pas de refus", "pourquoi je dirais non",
    "je vois pas pourquoi je dirais non", "je n'ai rien contre", "j'ai rien contre", "je suis pas contre", "je ne suis pas contre",
    "pas contre", "pas du tout opposé", "je ne suis pas du tout opposée", "je ne suis pas fermé à l'idée", "je ne suis pas fermée",
    "ça ne coûte rien d'écouter", "ça ne mange pas de pain", "ça ne peut pas faire de mal", "ça ne coûte rien d'essayer",
    "on ne sait jamais allez-y", "pourquoi pas on ne sait jamais", "on ne perd rien à essayer", "non non ça me va très bien",
    "non non c'est parfait", "non ça me convient", "non mais oui bien sûr", "non mais oui", "non je veux dire oui",
    "non enfin si allez-y", "si si allez-y", "si bien sûr", "mais si je vous écoute", "non non pas du tout je vous en prie",
    "ne vous inquiétez pas allez-y", "ne vous excusez pas je vous écoute", "n'hésitez pas allez-y", "aucune objection",
    "je n'y vois aucun inconvénient", "je n'y vois pas d'inconvénient", "pas d'objection", "non je n'ai rien contre allez-y",
    "nan nan vas-y", "non non tu me déranges pas", "non t'inquiète vas-y", "pas de problème du tout",
]
NEG_YES_OFFER = [
    "ça ne me déplairait pas", "ça ne me déplairait pas qu'il passe", "je ne serais pas contre un petit bilan",
    "un bilan gratuit je ne vais pas cracher dessus", "je ne crache pas dessus", "non non qu'il m'appelle sans problème",
    "non ça ne me dérange pas qu'un technicien vienne", "je ne refuse jamais un conseil gratuit", "je ne suis pas contre un rendez-vous",
    "pas contre qu'il passe", "je ne vois pas pourquoi pas", "je ne dirais pas non à un diagnostic", "pourquoi je refuserais",
    "ça ne m'engage à rien alors oui", "si c'est sans engagement je ne vois pas d'inconvénient", "non aucun souci qu'il me rappelle",
]
# Negation scope in answers to the questions: the whole answer decides, not the word "pas".
NEG_SCOPE = [
    (["q2"], "positive", [
        "ça ne me laisse pas indifférent", "je ne vais pas vous dire que ça ne m'inquiète pas", "je ne suis pas serein",
        "pas du tout rassuré", "je ne suis pas tranquille avec ça", "ça n'arrête pas de me trotter dans la tête",
        "on ne peut pas ne pas y penser", "je ne dors pas bien à cause de ça", "ça ne m'enchante pas de voir mon épargne fondre",
        "impossible de ne pas s'en soucier", "je ne peux pas dire que ça me laisse froid",
    ]),
    (["q2"], "negative", [
        "ça ne m'empêche pas de dormir", "je ne m'en soucie pas vraiment", "je ne m'inquiète pas plus que ça",
        "pas du tout inquiet", "je ne suis pas du genre à m'inquiéter", "ça ne me préoccupe absolument pas",
        "je n'y pense jamais", "pas le moins du monde", "ce n'est pas un sujet pour moi", "je ne me pose pas la question",
    ]),
    (["q3"], "positive", [
        "je ne suis pas mécontent", "je n'ai pas à me plaindre", "rien à redire", "pas du tout mécontente",
        "je n'ai jamais eu de problème avec lui", "il ne m'a jamais déçu", "je ne me plains pas", "je n'ai rien à lui reprocher",
        "on ne peut pas rêver mieux", "je ne changerais pour rien au monde", "pas de souci avec elle elle est très bien",
    ]),
    (["q3"], "negative", [
        "je ne suis pas satisfait du tout", "je ne peux pas dire que je suis satisfait", "pas vraiment satisfait non",
        "il ne fait jamais rien", "je ne suis pas du tout content du suivi", "on ne peut pas appeler ça un suivi",
        "ça ne me convient pas du tout", "je n'ai jamais de nouvelles", "ils ne s'occupent pas de nous",
        "il ne connaît même pas mon prénom", "je ne suis pas suivi du tout",
    ]),
    (["renovation.q3"], "positive", [
        "ça n'a pas arrêté d'augmenter", "on ne peut pas dire que ça ait baissé", "ça n'a jamais été aussi cher",
        "je n'ai jamais payé autant", "ça ne fait que monter", "on n'en voit pas le bout", "c'est pas rien",
        "ça n'a rien à voir avec il y a trois ans", "on ne s'en sort plus avec les factures",
    ]),
    (["renovation.q3"], "negative", [
        "elles n'ont pas vraiment bougé", "pas énormément non", "je ne dirais pas beaucoup", "je n'ai pas vu de grande différence",
        "ça n'a pas beaucoup changé", "pas tant que ça", "je n'ai pas remarqué de hausse", "on n'a pas à se plaindre de ce côté-là",
    ]),
    (OFFERS, "negative", [
        "je ne suis pas du tout intéressé", "pas vraiment intéressée", "je ne vois pas l'intérêt", "ça ne me dit rien",
        "ça ne me dit rien qui vaille", "je n'en ai pas besoin du tout", "pas pour l'instant", "je n'y tiens pas",
        "je ne préfère pas", "je ne pense pas non", "je ne crois pas",
    ]),
]

# Questions with no question word nor mark: intonation only.
QUESTION_INTONATION = [
    "et c'est vous qui payez", "ça m'engage à quelque chose", "vous allez me rappeler après", "vous êtes en france",
    "vous appelez de france", "c'est un vrai cabinet", "vous avez un numéro où je peux vous rappeler", "vous êtes payée à la commission",
    "cet appel est enregistré", "vous avez mon adresse aussi", "vous savez comment je m'appelle", "vous connaissez ma banque",
    "vous travaillez avec ma banque", "c'est ma banque qui vous a donné mon numéro", "on se connaît", "on s'est déjà parlé",
    "vous m'avez déjà appelé la semaine dernière", "c'est la même société que l'autre fois", "je dois vous donner mon numéro de compte",
    "il faut que je donne ma carte bancaire", "vous allez me demander mes coordonnées bancaires", "faut signer quelque chose",
    "je vais recevoir un papier", "vous m'envoyez quelque chose par courrier", "vous avez une adresse mail", "je peux vous écrire",
    "t'es un robot", "tu es une machine", "je parle à quelqu'un de réel", "c'est légal au moins", "c'est rapide",
    "ça prend longtemps", "c'est juste trois questions", "et après c'est fini", "vous êtes une voix de synthèse", "c'est une ia",
    "c'est l'intelligence artificielle qui parle", "vous êtes basée à paris", "vous avez des bureaux près de chez moi",
    "vous êtes une vraie personne ou pas", "c'est un appel automatique", "vous lisez un texte", "vous êtes payée pour appeler",
    "je suis obligé de répondre", "je peux refuser", "vous allez garder mes réponses", "mes réponses sont confidentielles",
    "c'est anonyme", "vous allez revendre mes informations", "vous avez mon nom de famille", "ça vient de vous l'appel de ce matin",
    "c'est vous qui avez appelé hier", "vous êtes la même personne qu'hier", "je vous ai déjà répondu la dernière fois",
    "vous avez un numéro de siret", "vous êtes inscrits quelque part", "il y a un contrat", "je peux changer d'avis après",
    "on peut se rétracter", "c'est remboursable", "il faut payer d'abord", "ça se paie en plusieurs fois",
]
QUESTION_DEMO = [  # the savings campaign: the bank, savings, inflation, the adviser
    "vous allez me vendre une assurance vie", "vous voulez que je change de banque", "il faut quitter ma banque",
    "je dois fermer mon livret", "c'est pour placer mon argent chez vous", "vous prenez des frais de gestion",
    "le conseiller il est payé comment", "le conseiller c'est quelqu'un de chez vous", "il vient à la maison le conseiller",
    "le rendez-vous c'est par téléphone", "ça rapporte plus que le livret a", "c'est mieux que mon livret", "le capital est garanti",
    "on peut perdre de l'argent", "je peux récupérer mon argent quand je veux", "l'argent est bloqué", "c'est défiscalisé",
    "il y a des impôts dessus", "l'inflation ça veut dire les prix qui montent", "vous voulez dire mon banquier",
    "le conseiller de ma banque vous voulez dire", "mon conseiller bancaire ou mon assureur", "vous parlez de la caisse d'épargne",
    "vous voulez savoir combien j'ai", "faut que je vous dise combien j'ai dessus", "l'épargne salariale ça compte",
    "le compte courant ça compte", "et mon compte joint ça compte aussi", "vous êtes un conseiller indépendant",
    "vous êtes payés par les banques", "le bilan ça prend une heure", "il faut préparer des papiers pour le rendez-vous",
    "il faut apporter mes relevés", "vous faites aussi les crédits", "vous gérez l'argent à ma place", "c'est vous qui placez mon argent",
    "le livret a ça compte comme épargne", "un compte à terme ça compte", "vous parlez de l'épargne retraite",
    "ma banque va le savoir", "le cabinet est agréé par l'amf", "vous êtes orias", "c'est un vrai conseiller humain qui rappelle",
    "il me rappelle quand le conseiller", "il faut un minimum pour placer", "à partir de combien d'argent ça vaut le coup",
    "mon conseiller c'est celui de la banque postale", "vous voulez dire ma conseillère du crédit agricole",
]
QUESTION_RENO = [  # the renovation campaign: aids, works, the visit
    "c'est remboursé", "c'est remboursé par l'état", "les aides c'est pour tout le monde", "il faut des conditions de revenus",
    "les aides dépendent de mes revenus", "faut que je sois chez moi", "faut que je sois présent pour le diagnostic",
    "le technicien il vient quand", "le diagnostic il est vraiment gratuit", "c'est vous qui faites les travaux après",
    "je suis obligé de faire les travaux avec vous", "je dois avancer l'argent", "il faut avancer les frais", "c'est l'anah qui vous envoie",
    "vous êtes rge", "vous êtes certifiés rge", "c'est l'isolation à un euro", "c'est pour les panneaux solaires",
    "vous vendez des pompes à chaleur", "c'est pour changer ma chaudière", "ça marche aussi en copropriété", "même si je suis locataire",
    "le propriétaire doit être d'accord", "mon propriétaire doit donner son accord", "il y a un crédit d'impôt",
    "maprimerénov c'est encore possible cette année", "ça concerne que les maisons anciennes", "une maison récente ça compte aussi",
    "le diagnostic ça dure longtemps", "vous faites le dpe", "c'est obligatoire le dpe maintenant", "il y a un reste à charge",
    "c'est la mairie qui vous envoie", "c'est un programme du gouvernement", "je peux choisir mon artisan", "les devis sont gratuits",
    "vous êtes mandatés par edf", "c'est en lien avec engie", "ça marche pour une résidence secondaire", "il faut faire tous les travaux d'un coup",
    "le technicien il est de chez vous", "il vient avec un badge", "il faut que je prépare quelque chose pour la visite",
    "ma maison est classée g c'est grave", "j'ai déjà eu maprimerénov je peux encore en avoir",
]

# Repair requests and hesitation: nothing to act on, the bot says it again.
REPAIR = [
    "hein vous pouvez répéter", "j'entends mal", "vous coupez", "vous coupez là", "je n'ai pas compris la question",
    "j'ai pas compris la question", "répétez s'il vous plaît", "vous pouvez répéter s'il vous plaît", "pouvez-vous répéter",
    "vous pourriez répéter", "ça grésille beaucoup", "ça crépite", "il y a de l'écho", "j'ai de l'écho", "la ligne est mauvaise",
    "ça passe mal", "ça capte mal ici", "je capte très mal là où je suis", "vous êtes hachée", "vous êtes coupée", "ça coupe tout le temps",
    "je vous perds", "je vous ai perdue", "vous êtes toujours là", "allô vous êtes là", "allô il y a quelqu'un", "vous dites",
    "vous dites quoi", "qu'est-ce que vous dites", "quoi qu'est-ce que vous dites", "hein qu'est-ce que vous avez dit",
    "excusez-moi je n'ai pas entendu", "je n'ai pas bien entendu", "j'ai pas bien saisi", "je n'ai pas saisi", "j'ai pas capté",
    "pas compris", "j'ai rien entendu", "je n'ai rien entendu vous pouvez recommencer", "recommencez", "reprenez depuis le début",
    "depuis le début s'il vous plaît", "encore une fois", "une deuxième fois s'il vous plaît", "plus fort s'il vous plaît",
    "parlez plus distinctement", "articulez", "moins vite", "doucement je suis un peu dur d'oreille", "je suis sourd parlez plus fort",
    "je n'ai pas mon appareil auditif", "je comprends pas ce que vous dites", "je ne parle pas bien français",
    "sorry i don't speak french", "attendez je mets le haut-parleur", "attendez je monte le son", "ça résonne", "votre voix coupe",
    "le son est pourri", "vous êtes très loin", "je vous entends à peine", "vous êtes inaudible", "c'est inaudible",
    "quoi j'entends pas", "hein hein", "comment dites-vous", "comment vous dites", "plaît-il", "pardon madame je n'ai pas compris",
    "pardon vous pouvez redire", "redites", "redis voir", "tu peux répéter", "t'as dit quoi", "j'ai pas entendu la fin",
    "vous avez dit quoi à la fin", "j'ai raté le début", "le début j'ai pas entendu", "vous parlez dans un tunnel",
    "je suis dans un tunnel je vous entends mal", "ça coupe je suis en voiture je vous entends mal", "il y a trop de bruit ici",
    "parlez dans le téléphone", "vous êtes où là on n'entend rien",
]
HESITATION = [
    "ben attendez que je", "euh alors", "bah je sais pas trop euh", "alors là", "alors là euh", "euh comment dire", "comment dire",
    "euh bon", "bon ben euh", "ben c'est-à-dire que euh", "c'est que euh", "ouh là attendez", "attendez que je réfléchisse",
    "laissez-moi réfléchir deux secondes", "bonne question", "ah ça c'est une bonne question", "houla je sais pas",
    "euh attendez je cherche", "attendez je regarde", "hum hum euh", "alors euh comment vous dire", "euh bah euh", "heu ben heu",
    "je dirais euh", "ben disons que", "disons euh", "voilà euh", "euh voilà quoi", "en fait euh", "en fait c'est que",
    "du coup euh", "du coup je sais pas", "enfin euh", "bah écoutez euh", "écoutez euh je", "moi euh", "moi je euh", "nous on euh",
    "ah euh attendez", "oh là là attendez", "minute", "minute papillon", "deux secondes", "un instant", "attendez je pose mes courses",
    "attendez je baisse la télé", "attendez je coupe la radio", "bougez pas", "oui euh non euh", "si euh non", "je sais pas quoi vous dire",
    "je sais pas trop quoi répondre", "j'hésite", "j'hésite un peu", "je suis partagé", "mitigé", "oui et non", "ni oui ni non",
    "comme ci comme ça", "couci-couça", "moitié moitié", "plus ou moins", "ça se discute", "c'est pas évident", "vaste question",
    "ouf alors ça", "pff je sais pas moi", "ah ben euh", "attendez je vous écoute attendez", "une petite seconde",
]

# Carrier, operator, company and personal voicemail messages.
CARRIER = [
    "cette ligne a été suspendue à la demande de son titulaire", "la ligne de votre correspondant est suspendue",
    "votre appel ne peut aboutir", "votre appel ne peut aboutir veuillez réessayer ultérieurement",
    "l'abonné que vous demandez n'est pas joignable actuellement", "l'abonné n'est pas joignable pour le moment",
    "suite à une mise à jour le numéro que vous avez demandé a changé", "suite à une modification de numérotation votre appel ne peut aboutir",
    "veuillez vérifier le numéro composé", "veuillez vérifier le numéro de votre correspondant", "ce service n'est pas accessible",
    "ce service n'est pas accessible depuis votre poste", "le forfait de votre correspondant ne lui permet pas de recevoir votre appel",
    "le forfait de votre correspondant est épuisé", "appel en cours de transfert", "transfert d'appel en cours veuillez patienter",
    "votre correspondant ne peut être joint", "le correspondant que vous avez demandé ne peut être joint",
    "la ligne de votre correspondant est occupée", "tous les circuits sont occupés", "toutes les lignes de votre correspondant sont occupées",
    "le réseau est saturé veuillez renouveler votre appel", "le numéro que vous avez demandé n'existe pas",
    "il n'y a pas d'abonné au numéro que vous avez demandé", "le numéro que vous avez demandé n'est plus en service",
    "ce numéro n'est pas attribué merci de consulter l'annuaire", "votre correspondant a restreint ses appels entrants",
    "votre correspondant n'accepte pas les appels masqués", "le téléphone de votre correspondant est éteint",
    "votre correspondant est hors de la zone de couverture", "votre correspondant se trouve actuellement à l'étranger",
    "votre correspondant est en communication veuillez patienter", "votre correspondant est en ligne souhaitez-vous laisser un message",
    "vous allez être mis en relation avec la messagerie de votre correspondant", "bienvenue sur la messagerie sfr",
    "messagerie bouygues telecom bonjour", "bienvenue sur la messagerie vocale free", "bonjour vous êtes sur la messagerie du zéro six douze",
    "le zéro six quarante-cinq vingt-deux n'est pas disponible", "le correspondant du zéro sept n'est pas disponible laissez un message",
    "votre message n'a pas pu être enregistré", "la boîte vocale de votre correspondant est saturée",
    "la messagerie de votre correspondant n'est pas encore configurée", "cette messagerie n'a pas été activée",
    "votre correspondant n'a pas activé sa messagerie", "aucun message ne peut être déposé", "pour réécouter votre message tapez deux",
    "pour valider tapez dièse", "après l'enregistrement appuyez sur la touche dièse", "merci de laisser votre message à la suite du bip",
    "à la suite du signal sonore", "veuillez énoncer votre nom après le bip", "bip bip bip", "tut tut tut",
    "votre correspondant est injoignable pour le moment merci de rappeler plus tard", "merci de renouveler votre appel ultérieurement",
    "nous ne pouvons donner suite à votre appel", "ce numéro est temporairement hors service", "le numéro demandé est en dérangement",
    "la ligne est en dérangement", "numéro suspendu", "ce numéro n'est plus attribué", "le numéro composé est incomplet",
    "votre appel n'a pas pu être acheminé", "l'appel a échoué veuillez réessayer", "votre correspondant a activé le renvoi d'appel",
    # companies
    "bienvenue au cabinet médical du docteur martin", "bonjour vous êtes bien à la boulangerie", "garage dupont bonjour nous sommes fermés",
    "vous êtes bien à la mairie", "bienvenue chez plomberie services pour un dépannage tapez un",
    "l'agence est fermée nos horaires sont de neuf heures à dix-huit heures",
    "le secrétariat est fermé merci de rappeler demain à partir de neuf heures", "nous sommes fermés pour congés annuels",
    "nous rouvrirons lundi à huit heures trente", "vous appelez en dehors de nos heures d'ouverture",
    "pour prendre rendez-vous tapez un pour toute autre demande tapez deux", "ce cabinet est joignable du lundi au vendredi",
    "pour les urgences contactez le quinze", "votre appel va être enregistré afin d'améliorer la qualité de nos services",
    "un conseiller va prendre votre appel", "tous nos conseillers sont en ligne merci de patienter",
    "votre temps d'attente est estimé à deux minutes", "vous êtes bien au service client", "notre standard est actuellement fermé",
    "l'entreprise est fermée pour la journée", "bienvenue à la pharmacie du centre nous sommes ouverts de",
    # persons
    "bonjour vous êtes bien chez nathalie et bruno laissez-nous un message", "salut c'est kevin je suis pas dispo laisse un message",
    "bonjour c'est madame lefèvre je ne suis pas là pour le moment", "vous êtes bien sur le portable de jean-pierre",
    "c'est sophie laissez-moi un message et je vous rappelle", "hello c'est léo je te rappelle dès que je peux",
    "bonjour vous êtes sur le répondeur de la famille martin", "ici le répondeur de monique et gérard parlez après le bip",
    "yo c'est max laisse un vocal", "coucou c'est moi je suis pas joignable envoie-moi plutôt un texto",
    "je ne suis pas joignable pour le moment envoyez-moi un sms", "je suis en réunion laissez-moi un message",
    "je suis en vacances jusqu'au vingt août en cas d'urgence contactez mon collègue",
    "je suis en déplacement je consulte mes messages régulièrement", "merci pour votre appel je vous rappelle au plus vite",
    "je vous rappellerai dès mon retour", "laissez-moi vos coordonnées je vous recontacte", "n'oubliez pas de laisser votre numéro",
    "dites-moi qui vous êtes et je vous rappelle", "bonjour vous êtes bien au zéro quatre soixante-dix-huit",
    "bonjour vous êtes sur la messagerie de françoise merci de laisser un message", "vous êtes chez les dubois on n'est pas là",
    "bonjour c'est le répondeur d'yvette je suis sortie", "allô bonjour c'est antoine je suis occupé laissez un message",
]
CARRIER_TAILS = ["", "", " merci", " au revoir", " bip", " merci de votre appel"]

# Opt-outs as a French ASR hears them, by law, in familiar speech, at the end of a long refusal.
DNC_THIRD = [
    # the opposition list, misheard
    "je suis inscrit sur bloc tel", "je suis sur bloc tell", "inscrit au bloque tel", "j'suis sur bloque tèle",
    "je suis sur block tel vous avez pas le droit", "blocktel", "je suis inscrite à bloctelle", "bloctelle", "bloc tel",
    "vous connaissez bloc tel", "bloc tel ça vous dit quelque chose", "je me suis mis sur bloc tel", "mon numéro est sur bloque tel",
    "il est sur bloctel mon numéro", "j'ai mis mon numéro sur block tell", "j'ai fait bloc tel l'année dernière",
    "je vais m'inscrire sur bloc tel", "je m'inscris sur bloctel ce soir", "je suis sur la liste d'opposition", "liste d'opposition",
    "je suis inscrit à la liste d'opposition au démarchage", "liste rouge", "je suis sur liste rouge", "je suis en liste rouge",
    "mon numéro est en liste rouge comment vous l'avez", "liste orange", "je suis sur liste orange",
    "je suis sur la liste orange je veux pas de pub", "je fais opposition au démarchage", "opposition démarchage",
    "bloc tel bloc tel", "bloque tel je suis dessus", "le bloctel vous connaissez pas", "inscrit bloctel",
    # split, merged and missing words
    "m'appeler plus", "appeler plus jamais", "me rappeler plus", "me rappelez plus hein", "rappeler plus jamais ce numéro",
    "rayez moi", "rayer moi de la liste", "supprimez moi vos fichiers", "supprimer moi de vos fichiers", "retirer du fichier",
    "retirer moi du fichier", "retirez mon nom du fichier", "enlever mon numéro", "enlevez mon numéro de votre liste",
    "effacer mon numéro", "effacé mon numéro", "ne m'appeler plus jamais", "arrêter de m'appeler", "arrêtez de m'appelez",
    "arrêter d'appeler", "n'appeler plus", "appelez plus", "plus appeler", "plus d'appel", "pas rappeler", "pas me rappeler merci",
    "faut plus m'appeler", "faut plus appeler ici", "faudrait arrêter de m'appeler", "vous pourriez arrêter de m'appeler",
    "ce serait gentil d'arrêter de m'appeler", "merci de ne plus appeler", "merci de plus m'appeler", "merci de me retirer",
    "merci de me désinscrire", "désinscription", "désabonnez-moi", "désabonner", "stop appel", "stop démarchage", "stop pub",
    "stop stop stop", "stop ça suffit", "arrêtez vos appels", "je veux plus être appelée", "j'veux plus qu'on m'appelle",
    "je veux plus qu'on m'appelle pour ça", "qu'on ne m'appelle plus", "que je ne sois plus appelé", "rappelle plus",
    "rappelle pas", "tu me rappelles plus", "m'appelle plus", "appelle plus jamais ici", "rayer mon numéro", "supprimer mon numéro",
    "ne me rappeler plus jamais", "plus jamais m'appeler", "ne plus m'appeler merci", "je veux plus que vous m'appeler",
    "je ne veux plus êtres appelé", "retirer mon numéro de votre liste liste", "effacer moi de votre fichier", "stop stop arrêtez arrêtez",
    "arrêtez de m'appeler arrêtez de m'appeler", "ne m'appelait plus", "arrête de m'appeler", "arrêtez d'appeler chez moi",
    "ne plus appeler ce numéro", "numéro à retirer", "à supprimer de vos listes", "sortez mon numéro", "mon numéro retirez le",
    # the law and complaints
    "je fais valoir mon droit d'opposition", "droit d'opposition", "j'utilise mon droit d'opposition",
    "rgpd effacez mes données", "au titre du rgpd supprimez mes données", "je demande l'effacement de mes données",
    "droit à l'effacement", "droit à l'oubli supprimez tout", "je veux exercer mon droit à l'effacement", "je vais le signaler à la cnil",
    "je vais saisir la cnil", "je fais une réclamation à la cnil", "plainte à la cnil", "je vais vous signaler au trente-trois sept cents",
    "je signale au trois trois sept zéro zéro", "je vais vous dénoncer à la dgccrf", "c'est interdit d'appeler les gens inscrits sur bloctel",
    "vous risquez une amende vous savez", "vous n'avez pas mon consentement", "je n'ai jamais donné mon accord pour être appelé",
    "le démarchage téléphonique est encadré par la loi", "la loi interdit ce genre d'appel", "je vais porter plainte pour harcèlement",
    "je vous enregistre et je porte plainte", "je n'ai jamais consenti à être démarché", "je retire mon consentement",
    "vous êtes en infraction", "la cnil va entendre parler de vous",
    # familiar speech
    "lâchez-moi la grappe et rappelez plus", "lâchez-moi la grappe avec vos appels", "foutez-moi la paix et perdez mon numéro",
    "m'appelle plus jamais t'entends", "vous me cassez les pieds arrêtez d'appeler", "vous me cassez les oreilles avec vos appels",
    "vous me saoulez à appeler tout le temps", "ça me saoule vos appels arrêtez", "vos appels ça me gonfle",
    "j'en ai ras le bol de vos coups de fil", "ras le bol de vos appels", "marre marre marre de vos appels", "dégagez de mon téléphone",
    "barrez-vous de mon téléphone", "oubliez-moi", "oubliez-moi définitivement", "rayez-moi de vos tablettes", "zappez mon numéro",
    "jetez mon numéro", "mon numéro à la poubelle", "c'est la dernière fois que je décroche pour vous", "plus jamais je décroche",
    "je vais bloquer votre numéro", "je vous bloque", "numéro bloqué", "je vous mets en indésirable", "je vous signale comme spam",
    "spam je bloque", "vous me pompez l'air avec vos appels", "allez ouste rappelez plus", "c'est bon là on arrête les appels",
]
DNC_THIRD_LONG = [  # the opt-out comes at the end of a long refusal
    "non mais franchement j'en ai assez tous les jours c'est pareil vous me retirez de votre liste",
    "écoutez je suis pas intéressé je l'ai déjà dit à vos collègues la semaine dernière alors maintenant vous m'enlevez de vos fichiers",
    "non merci vraiment ça m'intéresse pas du tout et puis je reçois trop d'appels comme ça alors ne me rappelez plus",
    "je travaille de nuit je dors la journée et vous m'appelez à chaque fois alors stop plus d'appels",
    "ça fait trois fois ce mois-ci que quelqu'un de chez vous appelle j'ai dit non à chaque fois donc maintenant rayez-moi",
    "j'ai quatre-vingt-cinq ans je n'ai besoin de rien et je ne veux plus qu'on m'appelle pour ça",
    "non j'ai déjà une banque un conseiller une assurance tout ce qu'il faut et j'aimerais bien qu'on arrête de m'appeler",
    "bon écoutez madame je vais être clair ça ne m'intéresse pas et ça ne m'intéressera jamais donc retirez mon numéro",
    "non et je vais vous dire une chose c'est la dixième fois alors effacez mon numéro s'il vous plaît",
    "non mais vous êtes sérieux à huit heures du soir franchement ne rappelez plus",
    "j'ai déjà fait les travaux j'ai déjà eu les aides et j'en ai marre de ces appels alors supprimez-moi",
    "je comprends que c'est votre travail mais là c'est trop je veux plus être appelé",
    "rien contre vous personnellement mais je ne veux plus de ces appels retirez-moi de la liste s'il vous plaît",
    "non non et non je vous ai déjà dit que je suis sur bloctel",
    "c'est gentil mais j'ai déjà tout et je vous demande de ne plus m'appeler",
    "alors je vais faire court pas intéressé pas de rendez-vous et plus d'appels merci",
    "écoutez mon mari est malade j'ai pas la tête à ça et je veux que ça s'arrête ces appels",
    "je suis locataire donc ça me concerne pas et en plus on m'appelle tout le temps pour ça alors arrêtez de m'appeler",
    "je vous arrête tout de suite je ne veux rien et je veux que vous supprimiez mon numéro",
    "non je ne veux pas de bilan ni de conseiller ni rien et ne m'appelez plus jamais",
    "bon je vais être poli une dernière fois ça m'intéresse pas et vous m'effacez de votre fichier",
    "tous les jours c'est la même chose un coup c'est l'isolation un coup c'est la pompe à chaleur alors maintenant stop rayez-moi",
    "ma banque s'occupe très bien de moi je n'ai besoin de personne et je ne veux plus être démarché",
    "euh non je crois pas non et puis comment vous avez eu mon numéro d'ailleurs effacez-le",
    "je suis à la retraite je n'ai pas d'argent à placer et je suis inscrit sur bloc tel alors voilà",
    "vous savez je raccroche à chaque fois et vous rappelez quand même donc mettez-moi sur votre liste d'exclusion",
    "non écoutez la maison est vendue on déménage le mois prochain et de toute façon je veux plus de ces coups de fil",
    "non merci et je vous préviens si vous rappelez encore je porte plainte",
    "pas intéressé du tout j'ai déjà dit non cent fois à vos robots alors oubliez mon numéro",
    "ah non mais c'est pas possible ça tous les jours à la même heure c'est du harcèlement là",
]
DNC_THIRD_TAILS = ["", "", " merci", " au revoir", " compris", " c'est clair", " hein", " s'il vous plaît"]

# Callbacks said as a situation (no time: a callback, like BUSY above), and "not now, later".
BUSY += [
    "j'ai les mains dans la farine", "j'ai les mains dans la pâte", "j'ai les mains pleines de peinture", "j'ai les mains mouillées",
    "je suis sous la douche", "je sors du bain", "je suis dans mon bain", "je suis au volant là", "je suis sur l'autoroute",
    "je suis en train de me garer", "je passe à table", "on est en train de manger", "je suis en train de faire à manger",
    "j'ai quelque chose sur le feu", "j'ai une casserole sur le feu", "le lait est en train de déborder",
    "je suis en train de changer le petit", "je change la couche du bébé", "je donne à manger au bébé", "j'allaite",
    "je suis en train de coucher les enfants", "je fais les devoirs avec les enfants", "je récupère les enfants à l'école",
    "je suis devant l'école", "je suis en train de faire mes courses", "je fais la queue à la poste", "je suis à la pharmacie",
    "je suis chez le coiffeur", "je suis chez le dentiste", "je suis dans la salle d'attente", "je suis au cinéma",
    "je suis à la messe", "je suis à un enterrement", "je suis à la piscine", "je suis à la salle de sport", "je fais mon footing",
    "je suis dans le jardin", "je suis en train de tondre", "je suis sur une échelle", "je suis sur le toit", "je suis en train de bricoler",
    "j'ai le plombier à la maison", "j'ai des invités", "j'ai de la visite", "on a du monde à manger", "je promène le chien",
    "je suis dans le métro", "je suis dans le bus", "je suis à la gare mon train part", "je suis à l'aéroport", "j'embarque",
    "je suis en pleine visio", "je suis en visio avec mon chef", "je suis en train de travailler", "je dormais",
    "vous me réveillez je travaille de nuit", "je suis au lit avec de la fièvre", "je suis à l'hôpital avec mon père",
    "ma femme est en train d'accoucher", "j'accompagne ma mère chez le médecin", "le petit pleure", "j'ai un bébé qui pleure",
    "je suis au milieu d'un truc", "je suis sur quelque chose là", "j'ai un client en face de moi", "je suis en caisse",
    "je suis en plein service", "je suis en plein rush", "je suis sur le tracteur", "je suis dans les vignes", "je suis à la traite",
    "je suis en train de faire le ménage", "j'étends le linge", "je suis en train de peindre", "je suis dans la voiture avec les enfants",
    "j'arrive chez moi à l'instant", "je viens de rentrer je pose mes affaires", "je suis dans les bouchons", "je suis en train de manger avec mes collègues",
]
CALLBACK += [
    "ne me rappelez pas ce soir plutôt demain", "pas ce soir rappelez plutôt demain", "ne rappelez pas avant lundi",
    "ne m'appelez pas le matin appelez plutôt l'après-midi", "ne rappelez pas aujourd'hui rappelez jeudi",
    "pas maintenant mais rappelez la semaine prochaine sans problème", "pas cette semaine la semaine prochaine",
    "je rentre de vacances lundi rappelez après", "rappelez quand les enfants seront couchés", "rappelez après vingt heures trente",
    "je finis à dix-huit heures rappelez après", "appelez plutôt le week-end", "rappelez un mardi je suis en repos",
    "rappelez-moi demain à la même heure", "rappelez dans l'heure", "dans un quart d'heure si vous voulez",
]

# Long answers decided at the end: (steps, intent, text, entities).
RAMBLING = [
    (["q1"], "positive", "alors euh attendez que je réfléchisse on a mis un peu de côté quand les enfants sont partis ben on a le livret a de ma femme et moi j'ai une assurance vie depuis longtemps", ["livret_a", "assurance_vie"]),
    (["q1"], "positive", "bah c'est pas énorme hein avec les prix qui montent on arrive pas trop à mettre de côté mais bon on a quand même un pel qu'on avait ouvert pour la maison", ["pel"]),
    (["q1"], "positive", "écoutez j'en ai parlé avec mon comptable l'an dernier et au final tout ce que j'ai c'est un plan épargne retraite", ["per"]),
    (["q1"], "positive", "oh vous savez à mon âge on n'a plus grand-chose mais mon mari m'a laissé un petit studio que je loue", ["immobilier"]),
    (["q1"], "positive", "euh non enfin si j'ai un peu de bourse mon fils m'a fait ouvrir un pea il y a deux ans", ["actions"]),
    (["q1"], "positive", "ma grand-mère m'avait ouvert un livret quand j'étais petit et depuis je mets un peu dessus chaque mois voilà c'est tout", ["livret_a"]),
    (["q1"], "positive", "on a pris une assurance vie à la naissance des enfants et on a aussi un appartement qu'on loue à des étudiants", ["assurance_vie", "immobilier"]),
    (["q1"], "negative", "alors entre le loyer la voiture les enfants et tout ce qui augmente franchement à la fin du mois il reste rien donc non pas d'épargne", ["none"]),
    (["q1"], "negative", "j'ai eu des soucis de santé l'année dernière j'ai dû tout utiliser alors aujourd'hui non je n'ai plus rien", ["none"]),
    (["q1"], "negative", "ben honnêtement on vit au jour le jour avec mon salaire de caissière alors de l'épargne non", ["none"]),
    (["q2"], "positive", "l'inflation bon je regarde pas ça tous les jours mais quand je vois ce que rapporte mon livret et ce que coûtent les courses oui forcément ça me travaille", []),
    (["q2"], "positive", "ah ben écoutez on en parlait justement avec mon mari hier soir et oui ça nous tracasse pas mal", []),
    (["q2"], "positive", "alors je vais vous dire avant je ne m'en occupais pas trop mais depuis deux ans avec tout qui augmente oui je m'en préoccupe", []),
    (["q2"], "positive", "j'ai regardé mes relevés l'autre jour et j'ai vu que mon argent perdait de la valeur en fait alors oui c'est un sujet", []),
    (["q2"], "negative", "franchement l'argent que j'ai je le garde pour les petits-enfants je le touche pas et le rendement je m'en moque un peu donc non", []),
    (["q2"], "negative", "bah j'ai pas grand-chose sur mes comptes alors l'inflation sur trois sous ça change pas ma vie non", []),
    (["q2"], "negative", "moi je suis plutôt du genre à pas me prendre la tête avec ça j'ai jamais suivi les taux alors non ça ne me préoccupe pas", []),
    (["q3"], "negative", "ah mon conseiller alors il y en a eu trois en deux ans le dernier je l'ai jamais vu et quand j'appelle l'agence personne ne répond donc non pas satisfait", []),
    (["q3"], "negative", "bon au début c'était bien je dirais mais depuis qu'ils ont fermé l'agence du village c'est plus pareil alors non", []),
    (["q3"], "negative", "il est gentil hein je dis pas mais à chaque fois que je lui pose une question il me répond qu'il va voir et j'attends encore alors bof non", []),
    (["q3"], "positive", "écoutez j'ai la même conseillère depuis quinze ans elle me connaît bien elle me rappelle quand il faut alors oui franchement je suis satisfait", []),
    (["q3"], "positive", "on a eu des hauts et des bas comme partout mais dans l'ensemble oui ça va je n'ai pas à me plaindre", []),
    (["renovation.q1"], "positive", "alors c'est un peu compliqué la maison était à mes parents on en a hérité avec mon frère et finalement je lui ai racheté sa part donc propriétaire", ["owner"]),
    (["renovation.q1"], "positive", "on est arrivés il y a trois ans on voulait acheter mais avec les taux ça s'est pas fait alors pour l'instant on loue", ["tenant"]),
    (["renovation.q1"], "positive", "euh c'est-à-dire qu'on a signé chez le notaire le mois dernier donc oui maintenant on est propriétaires", ["owner"]),
    (["renovation.q2"], "positive", "alors la maison est vieille quand on l'a achetée il y avait une vieille chaudière qu'on a remplacée l'an dernier par une pompe à chaleur", ["pompe_a_chaleur"]),
    (["renovation.q2"], "positive", "bah un peu de tout en fait le salon c'est le poêle à bois et dans les chambres on a des radiateurs électriques", ["electricite", "bois"]),
    (["renovation.q2"], "positive", "c'est une vieille maison de campagne on a toujours fait comme ça mon père avant moi c'est au fioul", ["fioul"]),
    (["renovation.q3"], "positive", "alors au début je faisais pas attention mais quand j'ai reçu la régularisation l'hiver dernier j'ai failli tomber par terre donc oui énormément", []),
    (["renovation.q3"], "positive", "on fait attention pourtant on baisse le chauffage on met des pulls mais la facture elle monte quand même alors oui", []),
    (["renovation.q3"], "negative", "on a changé les fenêtres et isolé les combles il y a quatre ans alors franchement les factures sont restées à peu près pareilles non", []),
    (["renovation.q3"], "negative", "on a un contrat à prix fixe que mon mari a négocié il y a deux ans alors de ce côté-là non ça n'a pas bougé", []),
    (GREETINGS, "positive", "oh là vous tombez à un moment bizarre je venais de rentrer des courses mais bon si c'est pas trop long allez-y je vous écoute", []),
    (GREETINGS, "positive", "deux minutes bon d'habitude je raccroche direct avec ces appels mais votre voix est sympa alors allez-y", []),
    (GREETINGS, "positive", "j'étais justement en train de regarder mes comptes ce matin en me demandant quoi faire alors vous tombez bien allez-y", []),
    (GREETINGS, "negative", "écoutez je suis certain que vous faites bien votre travail mais j'ai déjà une conseillère à la banque et ça me suffit donc non", []),
    (GREETINGS, "negative", "alors mon épargne c'est mon affaire j'ai jamais eu besoin de personne pour ça et c'est pas aujourd'hui que ça va changer donc non merci", []),
    (GREETINGS, "negative", "on a déjà eu quelqu'un qui est venu pour les aides il y a deux ans ça n'a rien donné du tout alors sans façon", []),
    (GREETINGS, "callback", "alors là je suis en train de récupérer les enfants à l'école et j'ai les mains pleines vous pouvez me rappeler vers dix-neuf heures", []),
    (GREETINGS, "callback", "euh je veux bien en parler mais pas maintenant parce que je suis au bureau et mon chef est juste à côté rappelez-moi la semaine prochaine", []),
    (GREETINGS, "callback", "ça pourrait m'intéresser mais là je suis sur la route je rentre de chez ma mère alors rappelez demain en fin de matinée", []),
    (GREETINGS, "question", "bon j'ai déjà eu des appels comme ça et à chaque fois on me demande de l'argent alors avant tout dites-moi c'est vraiment gratuit", []),
    (GREETINGS, "question", "attendez avant de répondre à quoi que ce soit je veux savoir qui vous êtes et comment vous avez eu mon numéro", []),
    (GREETINGS, "do_not_call", "non écoutez ça fait la troisième fois cette semaine qu'un cabinet m'appelle pour mon épargne alors maintenant c'est bloc tel", []),
    (OFFERS, "positive", "un conseiller hum bon j'avoue que je me pose des questions depuis un moment sur ce que je devrais faire de mon argent alors pourquoi pas", []),
    (OFFERS, "positive", "ma femme m'en parlait justement l'autre jour parce que la maison est une passoire alors oui qu'il passe", []),
    (OFFERS, "positive", "si vraiment c'est gratuit et que ça m'engage à rien bon ben après tout on verra bien ce qu'il dit d'accord", []),
    (OFFERS, "positive", "j'ai un peu peur des arnaques vous comprenez mais vous avez l'air sérieux et il faut bien que je fasse quelque chose alors d'accord", []),
    (OFFERS, "negative", "je vous remercie mais j'ai déjà eu un technicien l'année dernière il m'a fait un devis énorme et au final rien donc non", []),
    (OFFERS, "negative", "c'est gentil mais vous savez je vais avoir quatre-vingts ans et je ne vais pas me lancer là-dedans maintenant alors non", []),
    (OFFERS, "negative", "j'en ai parlé à mon fils il m'a dit de ne jamais accepter ce genre de rendez-vous au téléphone alors je vais suivre son conseil", []),
    (OFFERS, "callback", "ça m'intéresse peut-être mais il faut que j'en parle à ma femme avant on est tous les deux ce soir rappelez demain", []),
    (OFFERS, "callback", "le principe me plaît mais là on part en vacances samedi pour trois semaines alors rappelez-moi à la rentrée", []),
    (ALL, "unclear", "euh alors moi vous savez je suis pas trop au courant de tout ça c'est mon mari qui s'occupait des papiers avant alors euh", []),
    (ALL, "unclear", "ah ben là vous me posez une colle parce que euh d'un côté oui mais d'un autre côté bon je sais pas trop en fait", []),
    (ALL, "unclear", "attendez parce que la dernière fois on m'a demandé la même chose et j'avais dit euh enfin je sais plus ce que j'avais dit", []),
]

# Regional (Belgian, Swiss, Québécois, southern) and familiar speech: (steps, intent, phrases).
REGIONAL = [
    (GREETINGS, "positive", [
        "ça va allez-y une fois", "allez une fois je vous écoute", "ça joue allez-y", "ça joue pour moi", "ben oui allez-y", "ben oui c'est moi",
        "c'est correct allez-y", "c'est correct j'ai deux minutes", "tiguidou", "vas-y balance", "balance", "vas-y envoie", "tranquille vas-y",
        "ouais grave vas-y", "vas-y je t'écoute frérot", "zou allez-y", "allez zou je vous écoute", "oui peuchère allez-y",
        "adieu oui c'est moi", "vas-y dis-moi", "vas-y raconte", "ouais ouais vas-y crache le morceau", "oui oui allez-y hein",
    ]),
    (GREETINGS, "negative", [
        "ça m'intéresse pas pantoute", "pantoute", "non pantoute", "non c'est correct merci", "c'est correct merci ça va aller",
        "j'ai pas le goût", "j'ai pas le goût pantoute", "ça me tente pas", "ça me tente pas vraiment", "carrément pas", "laisse tomber",
        "laisse béton", "c'est mort", "c'est mort pour moi", "zéro intérêt", "même pas", "ça me saoule ces trucs", "non ça va hein merci",
        "ça joue pas", "ça ne joue pas pour moi", "que nenni", "non peuchère", "oh con non merci", "té non merci", "je suis pas fada",
        "je signe rien je suis pas fada moi", "vé non", "nan mais allô", "ça me branche pas", "pas du tout mon délire", "bof non laisse",
    ]),
    (OFFERS, "positive", [
        "ouais grave", "grave", "carrément", "ouais carrément", "ça marche pour moi ça", "c'est correct qu'il m'appelle", "ben oui qu'il passe",
        "ça joue qu'il passe mardi", "allez banco", "vas-y go", "chaud", "je suis chaud", "ouais je suis chaud", "grave qu'il passe",
        "ben ouais envoie-le", "qu'il vienne tantôt", "il peut passer tantôt", "ça me va une fois", "d'acc", "ok d'acc", "ça roule ma poule",
        "tope là", "ça joue pour moi qu'il rappelle",
    ]),
    (OFFERS, "negative", [
        "pas pantoute", "non c'est correct on est bien de même", "ça sert à rien laisse tomber", "non merci une fois", "ça joue pas pour moi",
        "ça me branche moyen non", "non c'est pas la peine hein", "oh fan de chichourle non", "non laisse tomber frère", "c'est non gros",
    ]),
    ([s for s in ALL if s not in OFFERS], "callback", [
        "rappelez-moi tantôt", "rappelez tantôt", "appelez-moi sur mon natel ce soir", "je suis dans mon char rappelez plus tard",
        "chu dans mon char", "je suis occupé présentement", "pas astheure rappelez demain", "je suis au taf rappelle à dix-huit heures",
        "je suis au taf", "je suis au boulot frère", "là je peux pas je suis au charbon", "rappelez après dîner",
        "rappelez après le souper", "rappelez sur le coup de midi", "rappelez vers les quatre heures", "rappelle-moi plus tard gros",
        "rappelle-moi tantôt", "je suis pas mal occupé là rappelez plus tard", "là je suis en rendez-vous rappelle vite fait ce soir",
    ]),
    (ALL, "do_not_call", [
        "appelez-moi pu jamais", "m'appelez pu", "appelez pus", "arrêtez de m'écœurer avec vos appels", "vous m'escagassez avec vos appels ne rappelez plus",
        "tu m'escagasses arrête d'appeler", "je suis sur liste rouge depuis nonante-huit", "ça va hein j'ai compris ne rappelez plus",
        "retirez-moi de votre liste une fois pour toutes", "mon natel c'est pas pour le démarchage effacez-le", "lâchez-moi avec ça rappelez pu",
        "wesh arrêtez d'appeler", "frère arrête de m'appeler", "arrête de me harceler gros", "rappelez plus jamais peuchère",
    ]),
    (ALL, "question", [
        "c'est qui déjà", "vous êtes qui déjà", "dites une fois c'est pour quoi", "c'est pour quoi une fois", "c'est gratis", "c'est gratis ou bien",
        "c'est gratuit ou bien", "ça coûte combien ou bien", "wesh c'est qui", "t'es qui toi", "c'est quoi l'embrouille", "vous êtes de où",
        "vous appelez d'où comme ça", "c'est-tu gratuit", "c'est-tu un robot", "vous êtes-tu une vraie personne", "ça coûte-tu quelque chose",
        "faut-tu que je sois là", "y faut-tu payer", "c'est quoi le plan", "c'est quoi le délire", "vous voulez quoi au juste",
    ]),
    (ALL, "unclear", [
        "ben là", "ben là je sais pas", "chais pas trop frère", "ouais nan", "nan ouais", "ché pas", "j'sais pas moi", "bah euh ouais euh",
        "ben coudonc", "attends voir", "attends une fois", "ah ben ça", "té attendez",
    ]),
    (["q2"], "positive", [
        "ouais grave", "grave ça me stresse", "carrément ça me fait flipper", "ben oui c'est sûr", "un peu mon neveu", "et comment",
        "tu m'étonnes", "ah ça oui peuchère", "ben voyons oui", "c'est sûr et certain", "ça me stresse à mort",
    ]),
    (["q2"], "negative", [
        "pantoute", "pas pantoute", "ça me fait ni chaud ni froid", "je m'en bats l'œil", "osef", "j'en ai rien à faire", "ça me passe au-dessus",
        "rien à cirer", "je m'en tape", "ça m'en touche une sans faire bouger l'autre",
    ]),
    (["q3"], "positive", [
        "ça joue", "c'est correct il fait sa job", "nickel", "au top", "il assure", "rien à dire il gère", "elle est top", "impeccable",
        "ça roule avec lui", "c'est du bon monde",
    ]),
    (["q3"], "negative", [
        "pantoute", "carrément pas", "il sert à rien", "c'est une catastrophe", "c'est zéro", "nul de chez nul", "c'est pas le top",
        "il est aux abonnés absents", "je le vois jamais il est fantôme", "c'est la cata",
    ]),
    (["renovation.q3"], "positive", [
        "ouais grave", "en masse", "ça a pété les scores", "c'est abusé", "c'est du vol", "ça a explosé de ouf", "ah peuchère oui",
        "septante euros de plus par mois", "c'est devenu hors de prix", "un peu mon neveu", "c'est une dinguerie", "ça a pris nonante euros",
    ]),
    (["renovation.q3"], "negative", [
        "pantoute", "pas vraiment non ça va", "c'est resté tranquille", "ça a pas trop bougé franchement", "c'est correct ça a pas monté",
        "pas de ouf non", "tranquille ça va",
    ]),
]
REGIONAL_ENTITIES = [  # (step, intent, text, entities)
    ("q1", "positive", "j'ai un livret et pis un pea", ["livret_a", "actions"]),
    ("q1", "positive", "septante pour cent sur le livret a et le reste en assurance vie", ["livret_a", "assurance_vie"]),
    ("q1", "positive", "nonante pour cent c'est sur mon livret", ["livret_a"]),
    ("q1", "positive", "ben oui un plan épargne logement pis c'est tout", ["pel"]),
    ("q1", "positive", "grave j'ai des cryptos", ["actions"]),
    ("q1", "positive", "ouais j'ai un peu de bitcoin et des actions", ["actions"]),
    ("q1", "positive", "un appart que je loue tranquille", ["immobilier"]),
    ("q1", "negative", "pas une cenne", ["none"]), ("q1", "negative", "pas un kopeck", ["none"]), ("q1", "negative", "que dalle", ["none"]),
    ("q1", "negative", "nada", ["none"]), ("q1", "negative", "walou", ["none"]), ("q1", "negative", "peau de balle", ["none"]),
    ("q1", "negative", "pas un rond", ["none"]), ("q1", "negative", "j'ai pas une thune", ["none"]), ("q1", "negative", "zéro pointé", ["none"]),
    ("renovation.q1", "positive", "on est proprios depuis nonante-deux", ["owner"]),
    ("renovation.q1", "positive", "chu locataire", ["tenant"]),
    ("renovation.q1", "positive", "on loue un appart", ["tenant"]),
    ("renovation.q1", "positive", "c'est à nous depuis septante-neuf", ["owner"]),
    ("renovation.q1", "positive", "on est propriétaires pis on rembourse encore", ["owner"]),
    ("renovation.q1", "positive", "ben proprio pardi", ["owner"]),
    ("renovation.q2", "positive", "au mazout comme tout le monde icitte", ["fioul"]),
    ("renovation.q2", "positive", "à l'électrique", ["electricite"]),
    ("renovation.q2", "positive", "au poêle", ["bois"]),
    ("renovation.q2", "positive", "une pac air eau", ["pompe_a_chaleur"]),
    ("renovation.q2", "positive", "au gaz té", ["gaz"]),
    ("renovation.q2", "positive", "des plinthes électriques", ["electricite"]),
    ("renovation.q2", "positive", "la chaudière à mazout", ["fioul"]),
]

# Garbled ASR text: homophones (c'est/ses/sait, a/à, ça/sa, où/ou), digits, missing and repeated words.
GARBLED = [
    (GREETINGS + OFFERS, "negative", [
        "sa m'intéresse pas", "sa m'intéresse pas du tout", "non merci non merci", "non non non non", "pas intéressait", "pas intéressés merci",
        "jeune suis pas intéressé", "ces non", "c'est non non", "j'ai pas le temps la", "je n'est pas le temps", "sa ne m'intéresse pas sa",
        "non merci au revoir au revoir", "non merci euh au revoir", "sa ira merci", "pas la peine pas la peine", "non mais non non",
    ]),
    (GREETINGS + OFFERS, "positive", [
        "sa m'intéresse", "sa me va", "ces d'accord", "c'est daccord", "d'accord d'accord", "oui oui oui allez-y", "ouais allé y", "allé y",
        "allez y je vous écoute", "oui je vous est coute", "je vous écoute allez-y allez-y", "ok ok", "okay", "o k", "oké", "oui sa marche",
        "sa marche", "ça marche sa marche", "oui pas de soucis soucis", "oui oui d'accord d'accord",
    ]),
    ([s for s in ALL if s not in OFFERS], "callback", [
        "rappelez à 17h", "rappeler à 17h", "rappelez moi à 18h30", "rappeler demain à 10h", "rappelez moi vers 14 h", "rappelez à dix sept heure",
        "rappeler à dix huit heures trente", "rappeler moi demain", "rappelez moi lundi matin vers 9h", "appeler moi ce soir",
        "rappelez moi dans 1 heure", "dans 2 semaines", "rappelez le 15", "rappeler le 3 mars", "rappelez vers midi et demi", "à partir de 19h",
        "après 20h", "rappelez demain demain matin", "plus tard plus tard", "la semaine prochaine rappeler", "rappelez à 9h du matin",
        "rapelez plus tard", "rappelé plus tard", "rappeler ce soir vers 19 heures", "je suis occupé rappeler plus tard",
    ]),
    (ALL, "question", [
        "ses gratuit", "c'est gratuit ses gratuit", "sait qui", "c'est qui c'est qui", "c'est pour quoi c'est pour quoi", "vous êtes qui vous",
        "qu'es ce que vous voulez", "c'est à quel sujet sujet", "vous vendez quoi", "vous avez eu mon numéro ou", "vous êtes ou",
        "sa coûte combien", "sa coûte quelque chose", "sa m'engage à quoi", "qui vous a donner mon numéro",
        "comment vous avez eu mon numéro de téléphone téléphone", "c'est pour une enquête ou quoi", "vous êtes une banque ou",
        "ces quoi", "ces pour quoi", "cé qui", "c qui", "ses qui à l'appareil", "vous appeler de la part de qui",
    ]),
    (ALL, "do_not_call", [
        "ne m'appeler plus", "arrêter de m'appeler svp", "rayer moi", "ne me rappeler plus", "supprimer mes coordonnées",
        "je veux plus être appeler", "retiré mon numéro", "enlevé moi de vos listes", "ne me téléphoner plus", "arrêter de me téléphoner",
    ]),
    (GREETINGS + ["q1", "renovation.q1"], "answering_machine", [
        "vous êtes bien sur le répondeur de euh", "laisser un message après le bip", "laisser votre message après le bip sonore",
        "le numéro que vous avez composé n'est pas attribuer", "votre correspondant n'est pas disponible pour le moment veuillez laisser",
        "messagerie vocale du 06 12 34 56 78", "le 06 45 22 18 90 n'est pas disponible", "bonjour vous êtes sur la messagerie de 0 6",
        "merci de rappeler ultérieurement merci", "vous été bien sur la messagerie", "laisser moi un message", "après le bip bip",
    ]),
    (ALL, "unclear", [
        "euh euh", "euh heu", "allo allo", "allo", "a l'eau", "allô à l'eau", "quoi quoi", "pardon pardon", "comment comment",
        "j'entend pas", "j'entends pas j'entends pas", "je vous entend mal", "sa coupe", "sa grésille", "hein euh", "quoi euh",
    ]),
    (["q2"], "positive", ["oui sa m'inquiète", "oui oui sa me préoccupe", "sa m'inquiète un peu oui", "oui bien sur"]),
    (["q2"], "negative", ["sa m'inquiète pas", "non sa me préoccupe pas", "non non pas du tout du tout"]),
    (["q3"], "positive", ["oui satisfait satisfait", "oui sa va", "satisfais oui", "oui très satisfaite très"]),
    (["q3"], "negative", ["non pas satisfaits", "pas satisfait du tout du tout", "non pas trop satisfait non", "pas satisfaite non non"]),
    (["renovation.q3"], "positive", ["oui sa a augmenté", "sa a doublé", "ces devenu cher", "c'est devenu très chère", "oui oui beaucoup beaucoup"]),
    (["renovation.q3"], "negative", ["non sa a pas bougé", "non pas tellement tellement", "sa va non"]),
]
GARBLED_ENTITIES = [
    ("q1", "positive", "j'ai un livret à", ["livret_a"]), ("q1", "positive", "un livret à et une assurance vie", ["livret_a", "assurance_vie"]),
    ("q1", "positive", "des assurances vies", ["assurance_vie"]), ("q1", "positive", "un pel un p e l", ["pel"]),
    ("q1", "positive", "j'ai un p e r", ["per"]), ("q1", "positive", "le livret a le livret a c'est tout", ["livret_a"]),
    ("q1", "positive", "une assurance vie euh et euh des actions", ["assurance_vie", "actions"]), ("q1", "positive", "un livret à euh un l d d", ["livret_a"]),
    ("q1", "negative", "non rien rien du tout", ["none"]), ("q1", "negative", "non j'ai rien de coté", ["none"]),
    ("renovation.q2", "positive", "au fuel fuel", ["fioul"]), ("renovation.q2", "positive", "au gaz de ville gaz", ["gaz"]),
    ("renovation.q2", "positive", "une pompe a chaleur", ["pompe_a_chaleur"]), ("renovation.q2", "positive", "des radiateurs électrique", ["electricite"]),
    ("renovation.q2", "positive", "un poil à bois", ["bois"]), ("renovation.q2", "positive", "un poêle a granulé", ["bois"]),
    ("renovation.q2", "positive", "chaudière a gaz", ["gaz"]), ("renovation.q2", "positive", "électrique euh électrique", ["electricite"]),
    ("renovation.q1", "positive", "propriétaire propriétaire", ["owner"]), ("renovation.q1", "positive", "on est propriétaire de puis vingt ans", ["owner"]),
    ("renovation.q1", "positive", "locataire euh locataire", ["tenant"]), ("renovation.q1", "positive", "je loue un appartement", ["tenant"]),
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
    # Third enrichment (issue 23): hard French, written without reading any test split.
    add(GREETINGS + OFFERS, IRONY_NO, "negative", leads=["", "", "ah ", "oh ", "pff "])
    add(ALL, IRONY_DNC, "do_not_call", leads=["", "", "ah ", "oh ", "bon "], per=2)
    for steps, intent, phrases in IRONY_BY_STEP + NEG_SCOPE + REGIONAL + GARBLED:
        add(steps, phrases, intent)
    add(GREETINGS + OFFERS, POLITE_NO, "negative", leads=["", "", "", "écoutez ", "bon ", "ah "], per=2)
    add(OFFERS, POLITE_NO_OFFER, "negative", leads=["", "", "écoutez ", "non mais "], per=2)
    add(GREETINGS + OFFERS, NEG_YES, "positive", leads=["", "", "", "ah ", "bah ", "oh "], per=2)
    add(OFFERS, NEG_YES_OFFER, "positive", leads=["", "", "bah ", "oh "], per=2)
    question_leads = ["", "", "", "et ", "mais ", "euh ", "attendez "]
    add(ALL, QUESTION_INTONATION, "question", leads=question_leads, per=2)
    add(["q1", "q2", "q3", "is_leads"], QUESTION_DEMO, "question", leads=question_leads, per=2)
    add(["renovation.q1", "renovation.q2", "renovation.q3", "renovation.visit"], QUESTION_RENO, "question", leads=question_leads, per=2)
    add(ALL, REPAIR, "unclear", leads=["", "", "", "allô ", "pardon ", "euh "], per=2)
    add(ALL, HESITATION, "unclear")
    add(GREETINGS + ["q1", "renovation.q1"], CARRIER, "answering_machine", tails=CARRIER_TAILS, per=2)
    add(ALL, DNC_THIRD, "do_not_call", leads=DNC_LEADS, tails=DNC_THIRD_TAILS, per=2)
    add(ALL, DNC_THIRD_LONG, "do_not_call")
    for steps, intent, text, entities in RAMBLING:
        add(steps, [text], intent, entities=entities)
    for step, intent, text, entities in REGIONAL_ENTITIES + GARBLED_ENTITIES:
        add([step], [text], intent, entities=entities)
    return groups


def normalized(text):
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return " ".join(re.findall(r"[a-z0-9]+", text))


def main():
    test = set()  # the frozen splits: a generated line never repeats one of their utterances
    for split in ("test.tsv", "test2.tsv", "test3.tsv"):
        for line in (HERE / split).read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#") and "\t" in line:
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
