"""Demo profiles and projects for `flask demo load`: every person, project and number here is
invented (inspired by the network's own documents). Projects at every stage, with needs,
offers of help, journals, milestones and follows, so the feed and the dashboard are alive.

Later loaders find the projects in `ctx.objects["projects"]` (by short key) and the needs
in `ctx.objects["needs"]`.
"""

from __future__ import annotations

from datetime import timedelta

from tremplin.members.models import (
    ACCEPTED,
    FULFILLED,
    INVITED,
    MEMBERS,
    OFFER_ACCEPTED,
    OFFER_DECLINED,
    OWNER,
    PENDING,
    PRIVATE,
    PUBLIC,
    TEAMMATE,
    Follow,
    HelpOffer,
    JournalEntry,
    Milestone,
    Need,
    Profile,
    ProfileTag,
    Project,
    ProjectMember,
)
from tremplin.members.profiles import tag_key
from tremplin.platform.extensions import db
from tremplin.platform.hooks import demo_loader

# key: (bio, skills, themes, languages, links)
PROFILES: dict[str, tuple[str, list[str], list[str], list[str], list[tuple[str, str]]]] = {
    "awa": (
        "Formulatrice autodidacte, j’anime depuis trois ans un club de femmes qui fabriquent "
        "leurs cosmétiques bio. Avec la **Maison de Cosm’éthique**, nous voulons en faire "
        "un métier, dans une boutique-atelier du 11e.\n\nCe que je peux apporter au réseau : "
        "des recettes, de l’animation d’ateliers, et beaucoup d’énergie.",
        ["Formulation cosmétique", "Animation d’ateliers", "Vente en boutique éphémère"],
        ["cosmetique", "entreprendre-au-feminin"],
        ["fr", "wo", "en"],
        [("Le club Cosm’éthique", "https://cosmethique.example.org")],
    ),
    "karim": (
        "Couturier de formation, j’ai travaillé dix ans dans la confection avant de "
        "lancer l’Éco-retoucherie : retouches, upcycling et collecte de chutes textiles.",
        ["Couture", "Upcycling", "Gestion d’atelier", "Insertion professionnelle"],
        ["textile", "environnement", "insertion"],
        ["fr", "ar"],
        [("Éco-retoucherie", "https://eco-retoucherie.example.org")],
    ),
    "lucie": (
        "Cofondatrice de la Manufacture, lieu d’art urbain du 20e. Je cherche à "
        "essaimer notre incubateur éphémère « Open Bar » dans d’autres quartiers.",
        ["Programmation culturelle", "Médiation", "Levée de fonds"],
        ["culture", "education-populaire"],
        ["fr", "es"],
        [],
    ),
    "moussa": (
        "Après deux ans de recherche d’emploi, j’ai créé Sahel Saveurs pour importer "
        "en direct le karité, le fonio et le bissap de coopératives du Mali et du Sénégal.",
        ["Import-export", "Logistique", "Négociation"],
        ["france-afrique", "commerce-equitable"],
        ["fr", "bm", "snk"],
        [],
    ),
    "ines": (
        "Éducatrice spécialisée, je monte un café associatif intergénérationnel à Lyon : "
        "café des parents, veillées des anciens, soirées zéro déchet.",
        ["Animation socio-éducative", "Parentalité", "Vie associative"],
        ["education-populaire", "restauration"],
        ["fr", "ar", "en"],
        [],
    ),
    "thomas": (
        "Jardinier et militant du compost. Le Boulevard des Coccinelles fédère écoles, "
        "ESAT et jardins partagés autour du compost de quartier.",
        ["Compostage", "Jardinage", "Animation de collectifs"],
        ["environnement", "agriculture"],
        ["fr"],
        [],
    ),
    "fatou": (
        "Préparatrice en pharmacie, je formule pour la Maison de Cosm’éthique et "
        "j’accompagne les porteuses qui débutent.",
        ["Réglementation cosmétique", "Formulation cosmétique", "Parrainage"],
        ["cosmetique", "entreprendre-au-feminin"],
        ["fr", "wo", "ff"],
        [],
    ),
    "claire": (
        "Animatrice du Café Projets depuis 2015 : une soirée par mois, un projet présenté, "
        "des tables de six à huit pour le faire avancer.",
        ["Animation de réunions", "Accompagnement de projets", "Réseau ESS"],
        ["education-populaire", "insertion"],
        ["fr", "en"],
        [],
    ),
    "lakdar": (
        "Fondateur des soirées Café Projets, « la machine à secouer les projets ».",
        ["Animation", "Partenariats institutionnels"],
        ["insertion", "culture"],
        ["fr", "ar", "ber"],
        [],
    ),
    "bernadette": (
        "Chargée du club des porteurs de projet à la Cité des métiers.",
        ["Orientation professionnelle", "Dispositifs d’accompagnement"],
        ["insertion", "france-afrique"],
        ["fr"],
        [],
    ),
    "jean": (
        "Ancien directeur financier, membre d’un club Cigales. J’aide les projets à "
        "bâtir leur plan de financement.",
        ["Finance", "Business plan", "Comptabilité"],
        ["commerce-equitable", "environnement"],
        ["fr", "en"],
        [],
    ),
    "sophie": (
        "Juriste en droit de la consommation, j’accompagne bénévolement les projets "
        "sur la réglementation.",
        ["Droit", "Réglementation cosmétique", "Statuts associatifs"],
        ["cosmetique", "services-a-la-personne"],
        ["fr", "en", "it"],
        [],
    ),
    "mamadou": (
        "Entrepreneur dans la logistique entre Dakar et Marseille ; parrain au club "
        "Dynamiques africaines.",
        ["Logistique", "Import-export", "Douanes"],
        ["france-afrique", "commerce-equitable"],
        ["fr", "wo", "ff"],
        [],
    ),
    "nathalie": (
        "Épargnante solidaire, curieuse des projets de mon quartier.",
        ["Communication"],
        ["culture", "restauration"],
        ["fr"],
        [],
    ),
    "olivier": (
        "Cadre bancaire, membre d’un club d’investisseurs solidaires.",
        ["Finance", "Microcrédit"],
        ["habitat-tiers-lieux"],
        ["fr", "de"],
        [],
    ),
    "yasmina": (
        "Cheffe et fondatrice du Traiteur des Quatre Saisons, traiteur d’insertion "
        "à Bobigny. Nous ouvrons un second site.",
        ["Cuisine", "Encadrement d’équipe", "Insertion professionnelle"],
        ["restauration", "insertion"],
        ["fr", "ar"],
        [],
    ),
    "paul": (
        "Investisseur solidaire, ancien restaurateur.",
        ["Restauration", "Gestion"],
        ["restauration", "agriculture"],
        ["fr", "vi"],
        [],
    ),
    "aminata": (
        "Coiffeuse afro depuis quinze ans, je veux ouvrir un salon-école pour former "
        "des jeunes femmes du quartier.",
        ["Coiffure afro", "Formation"],
        ["entreprendre-au-feminin", "services-a-la-personne"],
        ["fr", "bm"],
        [],
    ),
    "julien": (
        "Développeur et bénévole dans l’inclusion numérique.",
        ["Développement web", "Inclusion numérique"],
        ["numerique"],
        ["fr", "en"],
        [],
    ),
    "camille": (
        "Je relie les paysans des Bouches-du-Rhône aux habitants des quartiers nord "
        "avec des paniers à prix solidaire.",
        ["Logistique", "Circuits courts"],
        ["agriculture", "commerce-equitable"],
        ["fr", "es"],
        [],
    ),
    "rachid": (
        "Expert-comptable, parrain de plusieurs projets du réseau.",
        ["Comptabilité", "Fiscalité", "Business plan"],
        ["insertion"],
        ["fr", "ar"],
        [],
    ),
    "elodie": (
        "Je lance un atelier de reconditionnement d’ordinateurs et d’initiation au "
        "numérique pour les seniors du 10e.",
        ["Informatique", "Pédagogie"],
        ["numerique", "insertion"],
        ["fr", "en"],
        [],
    ),
    "samuel": (
        "Consultant en stratégie, parrain bénévole.",
        ["Stratégie", "Pitch"],
        ["france-afrique", "numerique"],
        ["fr", "en", "ff"],
        [],
    ),
    "helene": (
        "Retraitée de l’enseignement, investisseuse dans un club Cigales.",
        ["Rédaction", "Relecture de dossiers"],
        ["education-populaire"],
        ["fr", "de"],
        [],
    ),
}

# key: title, pitch, description, theme, stage, commune, département, visibility, owner,
#      [(teammate, status, title)]
PROJECTS = {
    "cosmethique": (
        "Maison de Cosm’éthique",
        "Une boutique-atelier de cosmétiques bio et éthiques, fabriqués par un collectif de "
        "femmes du quartier.",
        "Tout est parti d’un **club d’une quarantaine de femmes** qui fabriquaient leurs "
        "cosmétiques à l’École régionale des projets.\n\n"
        "Une étude d’opportunité, financée par une subvention de la Ville, a montré qu’une "
        "filière locale était possible ; une **boutique éphémère** nous a permis de la tester.\n\n"
        "Aujourd’hui, un groupe de quatorze personnes écrit la charte et le modèle économique "
        "d’une maison commune :\n\n- des produits certifiés, sans perturbateurs endocriniens ;\n"
        "- des ateliers de fabrication ouverts aux habitantes ;\n- des emplois pour les membres "
        "du club.",
        "cosmetique",
        "emergence",
        "Paris 11e",
        "75",
        PUBLIC,
        "awa",
        [("fatou", ACCEPTED, "Formulatrice"), ("aminata", INVITED, None)],
    ),
    "retoucherie": (
        "L’Éco-retoucherie",
        "Retouches, upcycling et recyclage des déchets textiles, dans un atelier d’insertion.",
        "L’Éco-retoucherie collecte les chutes et les vêtements abîmés des commerces du quartier "
        "pour les retoucher ou les transformer.\n\nAprès la dissolution de l’association qui le "
        "portait, le projet continue avec un **groupe d’entreprises et d’habitants** prêts à "
        "mutualiser leurs activités dans un même lieu. La mairie nous a trouvé un local.",
        "textile",
        "developpement",
        "Paris 11e",
        "75",
        PUBLIC,
        "karim",
        [("elodie", ACCEPTED, "Bénévole communication")],
    ),
    "manufacture": (
        "La Manufacture — art urbain",
        "Un lieu d’art urbain qui soutient les artistes émergents et incube des projets "
        "culturels de quartier.",
        "Créée en 2013 dans 500 m² du 20e, la Manufacture accueille graveurs, musiciens et "
        "danseurs en résidence. **12 000 visiteurs** en dix week-ends, des ateliers avec les "
        "collèges voisins, et un incubateur éphémère deux jours par mois.\n\nNous cherchons un "
        "second lieu, plus central, pour exposer et vendre.",
        "culture",
        "essaimage",
        "Paris 20e",
        "75",
        PUBLIC,
        "lucie",
        [],
    ),
    "sahel": (
        "Sahel Saveurs",
        "Karité, fonio et bissap importés en direct de coopératives du Mali et du Sénégal.",
        "Sahel Saveurs achète à prix juste auprès de trois coopératives de femmes et revend "
        "aux épiceries fines et aux restaurants d’Île-de-France.\n\n| Produit | Coopérative |\n"
        "|---|---|\n| Beurre de karité | Ségou (Mali) |\n| Fonio | Kédougou (Sénégal) |\n"
        "| Bissap | Kaolack (Sénégal) |",
        "france-afrique",
        "developpement",
        "Saint-Denis",
        "93",
        PUBLIC,
        "moussa",
        [],
    ),
    "cafe": (
        "Le Café des Rencontres",
        "Un café associatif intergénérationnel : café des parents, veillées des anciens, "
        "soirées zéro déchet.",
        "Faciliter le lien social et la mixité, soutenir la parentalité, ouvrir un lieu où "
        "habitants et professionnels de l’action sociale se croisent.\n\nNous sommes quatre "
        "bénévoles et cherchons un local en rez-de-chaussée.",
        "education-populaire",
        "emergence",
        "Lyon 8e",
        "69",
        PUBLIC,
        "ines",
        [("thomas", ACCEPTED, "Trésorier")],
    ),
    "coccinelles": (
        "Boulevard des Coccinelles",
        "Compost de quartier et jardins partagés, avec les écoles, un ESAT et les habitants.",
        "Un collectif naissant veut fédérer les composteurs, les jardins partagés et les "
        "écoles du boulevard : comment mutualiser les compétences et les outils ?",
        "environnement",
        "idee",
        "Villeurbanne",
        "69",
        MEMBERS,
        "thomas",
        [],
    ),
    "tresses": (
        "Tresses & Transmission",
        "Un salon-école de coiffure afro qui forme des jeunes femmes du quartier.",
        "Un salon ouvert au public, où des apprenties se forment auprès de coiffeuses "
        "expérimentées, avec un diplôme reconnu à la clé.",
        "entreprendre-au-feminin",
        "idee",
        "Évry-Courcouronnes",
        "91",
        PUBLIC,
        "aminata",
        [],
    ),
    "panier": (
        "Panier Voisin",
        "Des paniers de producteurs locaux à prix solidaire dans les quartiers nord de Marseille.",
        "Chaque semaine, 120 paniers de légumes et de fruits de producteurs des Bouches-du-Rhône, "
        "avec un tarif réduit pour les familles suivies par les centres sociaux.",
        "agriculture",
        "emergence",
        "Marseille 15e",
        "13",
        PUBLIC,
        "camille",
        [],
    ),
    "traiteur": (
        "Traiteur des Quatre Saisons",
        "Un traiteur d’insertion de cuisine de saison, qui ouvre un second site.",
        "Depuis 2019, le Traiteur des Quatre Saisons forme des personnes éloignées de l’emploi "
        "aux métiers de la cuisine. Huit salariés en insertion, 40 % de produits bio et locaux.",
        "restauration",
        "essaimage",
        "Bobigny",
        "93",
        PUBLIC,
        "yasmina",
        [],
    ),
    "clic": (
        "Clic Solidaire",
        "Reconditionner des ordinateurs et initier les seniors du 10e au numérique.",
        "Des ordinateurs donnés par les entreprises, remis à neuf par des jeunes en formation, "
        "et des ateliers pour apprendre à s’en servir.",
        "numerique",
        "idee",
        "Paris 10e",
        "75",
        MEMBERS,
        "elodie",
        [],
    ),
}

# project, kind, title, description, quantity, unit, fulfilled?, days ago
NEEDS = [
    (
        "cosmethique",
        "local",
        "Une boutique-atelier de 60 m² dans le 11e",
        "Rez-de-chaussée avec point d’eau, pour fabriquer et vendre.",
        60,
        "m2",
        False,
        40,
    ),
    (
        "cosmethique",
        "financement",
        "Le matériel de fabrication",
        "Mélangeurs, balance de précision, pots en verre consignés.",
        8000,
        "eur",
        False,
        25,
    ),
    (
        "cosmethique",
        "competences",
        "Monter le dossier réglementaire (DIP)",
        "Nous cherchons quelqu’un qui connaît le dossier d’information produit.",
        20,
        "hours",
        False,
        12,
    ),
    ("cosmethique", "mentorat", "Une marraine pour l’étude de marché", None, None, None, True, 90),
    (
        "retoucherie",
        "local",
        "Un local pour l’atelier",
        "Trouvé grâce à la mairie !",
        120,
        "m2",
        True,
        120,
    ),
    (
        "retoucherie",
        "competences",
        "Des couturières et couturiers bénévoles",
        "Deux demi-journées par mois pour former les salariés en insertion.",
        40,
        "hours",
        False,
        20,
    ),
    (
        "retoucherie",
        "partenariat",
        "Des entreprises pour la collecte de textiles",
        "Boutiques, pressings, hôtels : vos chutes nous intéressent.",
        None,
        None,
        False,
        8,
    ),
    ("retoucherie", "financement", "Une surjeteuse industrielle", None, 15000, "eur", False, 5),
    (
        "manufacture",
        "local",
        "Un second lieu de 250 m² pour exposer",
        "Plus central, accessible aux artistes et au public.",
        250,
        "m2",
        False,
        30,
    ),
    (
        "manufacture",
        "contacts",
        "Les associations du 11e",
        "Pour comprendre ce que le quartier attend d’un lieu comme le nôtre.",
        None,
        None,
        False,
        15,
    ),
    ("sahel", "financement", "Le premier conteneur de l’année", None, 25000, "eur", False, 18),
    (
        "sahel",
        "partenariat",
        "Des épiceries fines partenaires",
        "Dépôt-vente ou achat ferme, en Île-de-France.",
        None,
        None,
        False,
        10,
    ),
    ("cafe", "local", "Un rez-de-chaussée de 80 m² dans le 8e", None, 80, "m2", False, 22),
    (
        "cafe",
        "competences",
        "Licence et règles d’hygiène",
        "Qui a déjà ouvert un café associatif ?",
        None,
        None,
        False,
        6,
    ),
    ("coccinelles", "partenariat", "Des écoles partenaires", None, None, None, False, 9),
    ("tresses", "mentorat", "Une marraine qui a déjà créé un salon", None, None, None, False, 14),
    ("tresses", "financement", "Les premiers fauteuils", None, 5000, "eur", False, 3),
    (
        "panier",
        "local",
        "Un point de retrait des paniers",
        "Un local de 30 m² au frais.",
        30,
        "m2",
        False,
        11,
    ),
    ("traiteur", "financement", "La cuisine du second site", None, 40000, "eur", False, 16),
    (
        "clic",
        "partenariat",
        "Des entreprises qui donnent leurs ordinateurs",
        None,
        None,
        None,
        False,
        4,
    ),
]

# need index, helper, status, responder, message, days ago
OFFERS = [
    (
        1,
        "jean",
        PENDING,
        None,
        "Je peux relire votre plan de financement et vous présenter à "
        "notre club Cigales, qui finance ce type de matériel.",
        10,
    ),
    (
        2,
        "sophie",
        OFFER_ACCEPTED,
        "awa",
        "Je suis juriste en droit de la consommation : je peux "
        "vous accompagner sur le DIP, deux heures par semaine.",
        9,
    ),
    (
        0,
        "olivier",
        OFFER_DECLINED,
        "awa",
        "Ma banque a un local rue Oberkampf, mais il fait plutôt 150 m².",
        30,
    ),
    (5, "fatou", PENDING, None, "Je couds depuis vingt ans, je peux venir le samedi matin.", 15),
    (
        5,
        "nathalie",
        OFFER_ACCEPTED,
        "karim",
        "Je peux donner deux samedis par mois pour former à la retouche.",
        14,
    ),
    (
        6,
        "yasmina",
        PENDING,
        None,
        "Nos tabliers usés sont à vous, et je connais deux hôtels à Bobigny.",
        4,
    ),
    (8, "olivier", PENDING, None, "Je peux vous mettre en relation avec un bailleur social.", 12),
    (
        10,
        "rachid",
        OFFER_ACCEPTED,
        "moussa",
        "Je vous aide à préparer le dossier pour le prêt d’honneur.",
        8,
    ),
    (
        12,
        "paul",
        PENDING,
        None,
        "J’ai tenu un restaurant dans le 8e, je connais les agences du quartier.",
        5,
    ),
    (15, "fatou", PENDING, None, "Je serais ravie d’être votre marraine.", 2),
]

# project, author, title, body, days ago
ENTRIES = [
    (
        "cosmethique",
        "awa",
        "L’étude d’opportunité est rendue",
        "Bonne nouvelle : l’étude confirme qu’une **filière locale** de cosmétiques éthiques "
        "est viable. Merci à la stagiaire coordinatrice qui a tout porté !",
        60,
    ),
    (
        "cosmethique",
        "fatou",
        "Trois cents ventes en boutique éphémère",
        "La boutique éphémère a accueilli 300 clientes en deux semaines. Le baume au karité "
        "est notre best-seller.",
        35,
    ),
    (
        "cosmethique",
        "awa",
        "La charte est adoptée",
        "Les quatorze membres du groupe ont signé la charte de la Maison de Cosm’éthique.",
        7,
    ),
    (
        "retoucherie",
        "karim",
        "Nous avons un local !",
        "Après nos rencontres avec le maire et le député, la mairie nous prête un local de "
        "120 m². Les travaux commencent en septembre.",
        100,
    ),
    (
        "retoucherie",
        "karim",
        "Première collecte chez les pressings",
        "Six pressings du quartier nous donnent désormais leurs chutes. 80 kg collectés ce mois-ci.",
        12,
    ),
    (
        "manufacture",
        "lucie",
        "3 000 visiteurs ce mois-ci",
        "L’exposition de gravure a attiré 3 000 visiteurs. Onze clubs Cigales s’intéressent "
        "au projet.",
        20,
    ),
    (
        "sahel",
        "moussa",
        "Le fonio arrive",
        "Premier arrivage de fonio de Kédougou : 400 kg, déjà réservés à moitié par deux "
        "restaurants.",
        9,
    ),
    (
        "cafe",
        "ines",
        "Premier café des parents",
        "Douze parents à notre premier café, dans la salle prêtée par le centre social.",
        16,
    ),
    (
        "traiteur",
        "yasmina",
        "Le second site est signé",
        "Nous avons signé le bail de notre seconde cuisine, à Pantin.",
        6,
    ),
    (
        "panier",
        "camille",
        "Cent paniers livrés",
        "Cent paniers cette semaine, dont quarante à tarif solidaire.",
        3,
    ),
]

# project, kind, days ago (occurred), declared by, confirmed by, note
MILESTONES = [
    ("cosmethique", "business_plan", 45, "awa", "claire", "Modèle économique validé par le club."),
    ("retoucherie", "legal_entity", 200, "karim", "claire", "SCIC créée avec 12 sociétaires."),
    ("retoucherie", "first_hire", 20, "karim", None, "Une couturière en contrat d’insertion."),
    ("manufacture", "first_funding", 400, "lucie", "lakdar", "Prêt d’honneur de 10 000 €."),
    ("manufacture", "prize", 60, "lucie", None, "Lauréate du prix des initiatives culturelles."),
    ("sahel", "legal_entity", 300, "moussa", "lakdar", "SAS créée."),
    ("sahel", "return_to_employment", 300, "moussa", "claire", None),
    ("sahel", "first_funding", 30, "moussa", None, "Apport d’un club Cigales."),
    ("cafe", "business_plan", 25, "ines", None, None),
    ("traiteur", "legal_entity", 2000, "yasmina", "claire", None),
    ("traiteur", "first_hire", 1900, "yasmina", "claire", None),
    ("traiteur", "prize", 120, "yasmina", "lakdar", "Prix régional de l’économie sociale."),
]

FOLLOWS = {
    "awa": ["retoucherie", "sahel", "manufacture", "cafe", "traiteur", "@karim", "@fatou"],
    "karim": ["cosmethique", "manufacture", "@awa"],
    "jean": ["cosmethique", "sahel", "traiteur"],
    "sophie": ["cosmethique", "tresses"],
    "fatou": ["retoucherie", "tresses"],
    "claire": ["cosmethique", "retoucherie", "sahel", "cafe"],
    "mamadou": ["sahel"],
}


def _profile(user, person: dict, details) -> Profile:
    bio, skills, themes, languages, links = details
    profile = Profile(
        user_id=user.id,
        bio=bio,
        commune=person["city"],
        departement=person["departement"],
        links=[{"label": label, "url": url} for label, url in links],
        phone=f"01 99 00 {10 + user.id % 89:02d} {user.id % 100:02d}",
    )
    for name, level in {
        "avatar": PUBLIC,
        "roles": PUBLIC,
        "themes": PUBLIC,
        "skills": PUBLIC,
        "bio": PUBLIC,
        "location": PUBLIC,
        "languages": MEMBERS,
        "links": PUBLIC,
        "phone": PRIVATE,
    }.items():
        setattr(profile, f"{name}_visibility", level)
    for kind, values in (
        ("role", person["roles"]),
        ("skill", skills),
        ("theme", themes),
        ("language", languages),
    ):
        for value in values:
            profile.tags.append(ProfileTag(kind=kind, value=value, key=tag_key(value)))
    return profile


@demo_loader(10)
def load_demo(ctx) -> dict:
    users, now = ctx.users, ctx.now
    for key, user in users.items():
        details = PROFILES.get(key, ("", [], [], ["fr"], []))
        db.session.add(_profile(user, ctx.people[key], details))

    projects: dict[str, Project] = {}
    for index, (key, spec) in enumerate(PROJECTS.items()):
        title, pitch, description, theme, stage, commune, dept, visibility, owner, team = spec
        created = now - timedelta(days=400 - index * 20)
        project = Project(
            title=title,
            pitch=pitch,
            description=description,
            theme=theme,
            stage=stage,
            commune=commune,
            departement=dept,
            visibility=visibility,
            owner_id=users[owner].id,
            created_at=created,
            updated_at=created,
        )
        project.memberships.append(
            ProjectMember(
                user_id=users[owner].id,
                role=OWNER,
                status=ACCEPTED,
                created_at=created,
                responded_at=created,
            )
        )
        for mate, status, mate_title in team:
            project.memberships.append(
                ProjectMember(
                    user_id=users[mate].id,
                    role=TEAMMATE,
                    status=status,
                    title=mate_title,
                    invited_by_id=users[owner].id,
                    created_at=created + timedelta(days=3),
                    responded_at=created + timedelta(days=4) if status == ACCEPTED else None,
                )
            )
        db.session.add(project)
        projects[key] = project
    db.session.flush()

    needs = []
    for index, (key, kind, title, description, quantity, unit, fulfilled, days) in enumerate(NEEDS):
        project = projects[key]
        at = now - timedelta(days=days, hours=index * 7 % 10, minutes=index * 23 % 60)
        need = Need(
            project=project,
            kind=kind,
            title=title,
            description=description,
            created_by_id=project.owner_id,
            created_at=at,
            status=FULFILLED if fulfilled else "open",
            fulfilled_at=at + timedelta(days=20) if fulfilled else None,
        )
        if quantity is not None and unit == "eur":
            need.amount_cents = quantity * 100
        elif quantity is not None:
            need.quantity, need.quantity_unit = quantity, unit
        db.session.add(need)
        needs.append(need)
    db.session.flush()

    offers = 0
    for index, helper, status, responder, message, days in OFFERS:
        at = now - timedelta(days=days)
        db.session.add(
            HelpOffer(
                need=needs[index],
                helper_id=users[helper].id,
                message=message,
                status=status,
                created_at=at,
                responded_by_id=users[responder].id if responder else None,
                responded_at=at + timedelta(days=1) if responder else None,
            )
        )
        offers += 1

    for index, (key, author, title, body, days) in enumerate(ENTRIES):
        db.session.add(
            JournalEntry(
                project_id=projects[key].id,
                author_id=users[author].id,
                title=title,
                body=body,
                created_at=now - timedelta(days=days, hours=index * 5 % 9, minutes=index * 17 % 60),
            )
        )
    for key, kind, days, declarer, confirmer, note in MILESTONES:
        occurred = now - timedelta(days=days)
        db.session.add(
            Milestone(
                project_id=projects[key].id,
                kind=kind,
                occurred_on=occurred.date(),
                note=note,
                declared_by_id=users[declarer].id,
                declared_at=occurred + timedelta(days=2),
                confirmed_by_id=users[confirmer].id if confirmer else None,
                confirmed_at=occurred + timedelta(days=5) if confirmer else None,
            )
        )
    for follower, targets in FOLLOWS.items():
        for target in targets:
            if target.startswith("@"):
                db.session.add(Follow(follower_id=users[follower].id, user_id=users[target[1:]].id))
            else:
                db.session.add(
                    Follow(follower_id=users[follower].id, project_id=projects[target].id)
                )
    for project in projects.values():  # "recently active" follows the journal
        project.updated_at = max(
            [project.updated_at]
            + [now - timedelta(days=d) for k, _a, _t, _b, d in ENTRIES if projects[k] is project]
        )
    db.session.flush()
    ctx.objects["projects"] = projects
    ctx.objects["needs"] = needs
    return {
        "profils": len(users),
        "projets": len(projects),
        "besoins": len(needs),
        "propositions d’aide": offers,
        "actualités": len(ENTRIES),
        "jalons": len(MILESTONES),
    }
