"""Demo groups for `flask demo load`: thematic groups with their charter, organisers,
resource persons, channels, a believable French history and private conversations.
Every person and message here is invented."""

from __future__ import annotations

from datetime import timedelta

from tremplin.groups.groups import slugify
from tremplin.groups.models import (
    Channel,
    Conversation,
    ConversationParticipant,
    Group,
    GroupCharter,
    GroupMembership,
    Message,
    ModerationLogEntry,
    ReadMarker,
)
from tremplin.platform.extensions import db
from tremplin.platform.hooks import demo_loader

CHARTER = """Dans ce groupe, nous nous engageons à :

1. **Bienveiller** : on critique les idées, jamais les personnes.
2. **Partager** : les bons plans, contacts et opportunités profitent à tout le groupe.
3. **Rester dans le collectif** : le groupe n'est pas une vitrine pour une activité personnelle ; pas de démarchage.
4. **Respecter la confidentialité** des projets présentés : ce qui est dit ici ne sort pas sans accord.
5. **Laisser la parole libre** : l'animation n'intervient que pour recentrer le débat. Chaque action de modération est inscrite au journal, lisible par tous.
"""

GROUPS = [
    {
        "key": "restauration",
        "name": "Restauration et métiers de bouche",
        "theme": "restauration",
        "visibility": "public",
        "description": "Cafés associatifs, traiteurs, cuisines du monde, food trucks : on partage "
        "fournisseurs, normes d'hygiène, recherches de local et retours d'expérience.",
        "organisers": ["claire"],
        "resources": ["mamadou"],
        "members": ["awa", "karim", "moussa", "camille", "elodie", "jean"],
        "channels": [
            ("Accueil", "Présentez-vous et votre projet"),
            ("Financement", "Prêts d'honneur, subventions, financement participatif"),
            ("Locaux et matériel", "Cuisines partagées, baux, matériel d'occasion"),
        ],
    },
    {
        "key": "numerique",
        "name": "Numérique et NTIC",
        "theme": "numerique",
        "visibility": "public",
        "description": "Sites, applications, réseaux sociaux, outils libres : entraide entre "
        "porteurs de projet qui se lancent dans le numérique ou s'en servent.",
        "organisers": ["lakdar"],
        "resources": ["sophie", "julien"],
        "members": ["thomas", "ines", "paul", "samuel", "karim"],
        "channels": [
            ("Accueil", "Présentez-vous"),
            ("Outils", "Logiciels, hébergement, RGPD"),
            ("Visibilité en ligne", "Site, réseaux sociaux, référencement"),
        ],
    },
    {
        "key": "cosmetique",
        "name": "Cosmétique naturelle",
        "theme": "cosmetique",
        "visibility": "public",
        "description": "Savonneries, soins naturels, beauté afro : réglementation européenne, "
        "fournisseurs de matières premières, circuits de vente.",
        "organisers": ["bernadette"],
        "resources": ["fatou"],
        "members": ["ines", "lucie", "yasmina", "aminata"],
        "channels": [
            ("Accueil", "Présentez-vous"),
            ("Réglementation", "DIP, évaluation de sécurité, étiquetage"),
            ("Fournisseurs", "Beurres, huiles, contenants"),
        ],
    },
    {
        "key": "feminin",
        "slug": "entreprendre-au-feminin",
        "name": "Entreprendre au féminin",
        "theme": "entreprendre-au-feminin",
        "visibility": "private",
        "description": "Un espace entre porteuses de projet pour parler financement, "
        "conciliation des temps de vie, confiance et réseau. Adhésion sur demande.",
        "organisers": ["claire", "bernadette"],
        "resources": ["sophie"],
        "members": ["awa", "fatou", "aminata", "yasmina", "lucie", "elodie", "helene"],
        "pending": ["camille"],
        "channels": [
            ("Accueil", "Présentez-vous"),
            ("Financement", "Garanties, prêts, BPI, France Active"),
            ("Conciliation", "Garde d'enfants, temps partiel, organisation"),
        ],
    },
    {
        "key": "dynamiques",
        "slug": "dynamiques-africaines",
        "name": "Club Dynamiques africaines",
        "theme": "france-afrique",
        "visibility": "public",
        "description": "Le club des porteurs de projet entre la France et l'Afrique subsaharienne : "
        "une rencontre chaque deuxième mardi du mois à la Cité des métiers, et ici "
        "entre deux rencontres.",
        "organisers": ["lakdar", "bernadette", "claire"],
        "resources": ["mamadou", "samuel"],
        "members": ["moussa", "awa", "fatou", "aminata", "rachid", "karim"],
        "channels": [
            ("Accueil", "Présentez-vous"),
            ("Import-export", "Douanes, transport, partenaires sur place"),
            ("Rencontres du mardi", "Préparer et prolonger les rencontres mensuelles"),
        ],
    },
]

# (group key, channel index, author key, days ago, minutes offset, text)
HISTORY = [
    (
        "restauration",
        0,
        "claire",
        20,
        0,
        "Bienvenue à toutes et à tous dans le groupe restauration ! "
        "Présentez-vous en quelques lignes : votre projet, où vous en êtes, ce qui vous manque.",
    ),
    (
        "restauration",
        0,
        "awa",
        19,
        30,
        "Bonjour ! Awa, je monte un **café associatif** à Montreuil "
        "avec une cuisine du monde à prix doux. Je cherche surtout un local avec extraction.",
    ),
    (
        "restauration",
        0,
        "karim",
        19,
        95,
        "Salut Awa, Karim, traiteur libanais à Paris 11e. Pour "
        "l'extraction, la mairie de Montreuil a une liste de locaux commerciaux vacants, ça vaut le coup de demander.",
    ),
    (
        "restauration",
        0,
        "moussa",
        18,
        10,
        "Bonjour à tous, Moussa, je lance une cantine "
        "sénégalaise en food truck à Saint-Denis. Ravi d'être là.",
    ),
    (
        "restauration",
        1,
        "camille",
        12,
        0,
        "Quelqu'un a déjà fait une demande de **prêt d'honneur** "
        "auprès d'Initiative ? Combien de temps avant la réponse ?",
    ),
    (
        "restauration",
        1,
        "mamadou",
        12,
        40,
        "Oui, comptez 6 à 8 semaines entre le dépôt et le comité. "
        "Préparez un prévisionnel sur 3 ans, ils le regardent de près. Je peux relire le vôtre si vous voulez.",
    ),
    (
        "restauration",
        1,
        "camille",
        12,
        55,
        "Merci @Mamadou Keïta, je vous l'envoie cette semaine !",
    ),
    (
        "restauration",
        2,
        "elodie",
        4,
        0,
        "Une cuisine partagée ouvre à Paris 10e, location à l'heure. "
        "Idéal pour tester une activité traiteur avant d'investir.",
    ),
    ("restauration", 2, "awa", 1, 0, "Super info Élodie ! Tu as le contact ?"),
    ("restauration", 2, "elodie", 0, -90, "Oui, je te l'envoie en message privé."),
    (
        "numerique",
        0,
        "lakdar",
        25,
        0,
        "Bienvenue dans le groupe numérique. Posez vos questions, "
        "même les plus simples : il n'y a pas de question bête.",
    ),
    (
        "numerique",
        1,
        "thomas",
        9,
        0,
        "Vous utilisez quoi pour la facturation ? Je cherche un outil "
        "simple et pas trop cher pour une micro-entreprise.",
    ),
    (
        "numerique",
        1,
        "sophie",
        9,
        25,
        "Pour démarrer, un tableur bien fait suffit. Ensuite regardez "
        "les logiciels libres, certains sont gratuits pour les petites structures.",
    ),
    (
        "numerique",
        2,
        "ines",
        3,
        0,
        "Je prépare le site de ma marque de cosmétiques : vitrine simple "
        "ou boutique en ligne dès le début ?",
    ),
    (
        "numerique",
        2,
        "julien",
        3,
        30,
        "Vitrine d'abord, avec un lien vers une place de marché. "
        "La boutique en ligne demande du temps (logistique, retours, CGV).",
    ),
    (
        "cosmetique",
        0,
        "bernadette",
        30,
        0,
        "Bienvenue ! Ce groupe est né du club : trois porteuses "
        "de projet cosmétique s'y sont rencontrées. Présentez-vous !",
    ),
    (
        "cosmetique",
        1,
        "yasmina",
        10,
        0,
        "Pour l'**évaluation de sécurité** de mes savons, vous "
        "êtes passées par qui ? Les devis varient du simple au triple.",
    ),
    (
        "cosmetique",
        1,
        "fatou",
        10,
        45,
        "Je suis passée par une toxicologue indépendante, je te "
        "donne son contact en privé. Demande un forfait pour une gamme, c'est moins cher.",
    ),
    (
        "cosmetique",
        2,
        "aminata",
        2,
        0,
        "Je cherche du beurre de karité brut équitable, en quantité moyenne (20 kg). Des pistes ?",
    ),
    (
        "feminin",
        0,
        "claire",
        15,
        0,
        "Bienvenue dans l'espace Entreprendre au féminin. Ce qui se dit "
        "ici reste ici : c'est dans la charte.",
    ),
    (
        "feminin",
        1,
        "helene",
        8,
        0,
        "Rappel : France Active propose une garantie spécifique pour "
        "les créatrices d'entreprise. Elle couvre jusqu'à 80 % du prêt bancaire.",
    ),
    (
        "feminin",
        1,
        "awa",
        8,
        60,
        "Merci Hélène, je ne connaissais pas. C'est cumulable avec un prêt d'honneur ?",
    ),
    (
        "feminin",
        1,
        "helene",
        8,
        75,
        "Oui, et c'est même conseillé : le prêt d'honneur rassure la banque.",
    ),
    (
        "feminin",
        2,
        "lucie",
        2,
        0,
        "Comment vous organisez-vous pendant les vacances scolaires ? "
        "Je perds une semaine de travail à chaque fois.",
    ),
    (
        "dynamiques",
        0,
        "lakdar",
        40,
        0,
        "Bienvenue au club ! Rencontre chaque deuxième mardi du mois "
        "à la Cité des métiers, de 18 h à 20 h 30. Ici, on continue la discussion entre deux rencontres.",
    ),
    (
        "dynamiques",
        1,
        "moussa",
        14,
        0,
        "Quelqu'un a de l'expérience avec le transport maritime "
        "Le Havre – Dakar pour des petits volumes ? Je pense groupage.",
    ),
    (
        "dynamiques",
        1,
        "rachid",
        14,
        50,
        "Oui, groupage en conteneur partagé, comptez 4 à 6 semaines. "
        "Attention aux frais de dédouanement à l'arrivée, demandez un devis tout compris.",
    ),
    (
        "dynamiques",
        2,
        "bernadette",
        6,
        0,
        "La prochaine rencontre accueille deux intervenants : "
        "la Chambre de commerce et un réseau de prêts d'honneur. Venez avec vos questions !",
    ),
    (
        "dynamiques",
        2,
        "fatou",
        5,
        0,
        "J'y serai. @Lakdar Kherbi, est-ce qu'on peut présenter le projet d'Aminata ce mois-ci ?",
    ),
    ("dynamiques", 2, "lakdar", 5, 20, "Oui, avec plaisir, on lui garde le premier créneau."),
]

CONVERSATIONS = [
    (
        ["awa", "elodie"],
        None,
        [
            (
                "elodie",
                0,
                -80,
                "Voici le contact de la cuisine partagée : demande Nadia de ma part.",
            ),
            ("awa", 0, -30, "Merci beaucoup, je l'appelle demain !"),
        ],
    ),
    (
        ["awa", "fatou"],
        None,
        [
            ("fatou", 6, 0, "Awa, tu viens au club mardi ? On pourrait y aller ensemble."),
            ("awa", 6, 20, "Oui ! Rendez-vous à 17 h 45 devant la Cité des métiers."),
            (
                "fatou",
                0,
                -10,
                "Parfait, à mardi. J'apporte les échantillons de savon pour Aminata.",
            ),
        ],
    ),
    (
        ["claire", "lakdar", "bernadette"],
        "Préparation de la rencontre de mars",
        [
            ("claire", 3, 0, "On fait le point sur les intervenants de mars ?"),
            (
                "lakdar",
                3,
                15,
                "La CCI a confirmé. J'attends encore la réponse du réseau de prêts d'honneur.",
            ),
            ("bernadette", 3, 40, "Je réserve la salle à la Cité des métiers pour 30 personnes."),
        ],
    ),
]


def _at(ctx, days: int, minutes: int):
    return ctx.now - timedelta(days=days) + timedelta(minutes=minutes)


@demo_loader(20)
def load_demo(ctx) -> dict:
    users = ctx.users
    groups: dict[str, Group] = {}
    channels: dict[tuple[str, int], Channel] = {}
    joined = ctx.now - timedelta(days=60)
    for user in users.values():  # the network's members have been around for a while
        if user.created_at is None or user.created_at > joined:
            user.created_at = joined - timedelta(days=30)
    for spec in GROUPS:
        group = Group(
            slug=spec.get("slug", spec["key"]),
            name=spec["name"],
            description=spec["description"],
            theme=spec["theme"],
            visibility=spec["visibility"],
            charter_version=1,
            created_by_id=users[spec["organisers"][0]].id,
            created_at=joined,
        )
        db.session.add(group)
        db.session.add(
            GroupCharter(
                group=group,
                version=1,
                body=CHARTER,
                created_at=joined,
                created_by=users[spec["organisers"][0]],
            )
        )
        for role, keys in (
            ("organiser", spec["organisers"]),
            ("resource", spec["resources"]),
            ("member", spec["members"]),
        ):
            for key in keys:
                db.session.add(
                    GroupMembership(
                        group=group,
                        user=users[key],
                        role=role,
                        state="active",
                        accepted_charter_version=1,
                        joined_at=joined,
                        created_at=joined,
                    )
                )
        for key in spec.get("pending", ()):
            db.session.add(
                GroupMembership(
                    group=group,
                    user=users[key],
                    state="pending",
                    accepted_charter_version=1,
                    request_message="Bonjour, je porte un projet de traiteur à Marseille et j'aimerais "
                    "échanger avec d'autres créatrices.",
                )
            )
        for position, (name, topic) in enumerate(spec["channels"]):
            channel = Channel(
                group=group,
                name=name,
                slug=slugify(name),
                topic=topic,
                position=position,
                created_at=joined,
            )
            db.session.add(channel)
            channels[(spec["key"], position)] = channel
        groups[spec["key"]] = group
    db.session.flush()

    count = 0
    last: dict[int, Message] = {}
    for key, index, author, days, minutes, text in HISTORY:
        mentions = []
        for person in users.values():
            if "@" + person.display_name in text:
                mentions.append({"id": person.id, "name": person.display_name})
        message = Message(
            channel=channels[(key, index)],
            author=users[author],
            body=text,
            created_at=_at(ctx, days, minutes),
            mentioned_user_ids=mentions or None,
        )
        db.session.add(message)
        count += 1
        last[channels[(key, index)].id] = message
    spam = Message(
        channel=channels[("numerique", 0)],
        author=users["paul"],
        body="Gagnez 3 000 € par mois depuis chez vous, écrivez-moi en privé !",
        created_at=_at(ctx, 7, 0),
        hidden_at=_at(ctx, 7, 30),
        hidden_by_id=users["lakdar"].id,
    )
    db.session.add(spam)
    db.session.flush()
    welcome = next(m for m in last.values() if m.channel is channels[("dynamiques", 0)])
    welcome.pinned_at = _at(ctx, 39, 0)
    welcome.pinned_by_id = users["lakdar"].id
    db.session.add(
        ModerationLogEntry(
            group_id=groups["dynamiques"].id,
            actor=users["lakdar"],
            action="message_pinned",
            target_user=users["lakdar"],
            message_id=welcome.id,
            created_at=_at(ctx, 39, 0),
            details={"excerpt": welcome.body[:200], "channel": "Accueil"},
        )
    )
    db.session.add(
        ModerationLogEntry(
            group_id=groups["numerique"].id,
            actor=users["lakdar"],
            action="message_hidden",
            target_user=users["paul"],
            message_id=spam.id,
            created_at=_at(ctx, 7, 30),
            reason="Démarchage, contraire à la charte (point 3).",
            details={"channel": "Accueil"},
        )
    )

    # Awa (the demo login) has read everything but the last few messages.
    for (key, _index), channel in channels.items():
        message = last.get(channel.id)
        if message is None or key not in ("restauration", "feminin", "dynamiques"):
            continue
        if message.created_at < ctx.now - timedelta(days=1):
            db.session.add(
                ReadMarker(
                    user_id=users["awa"].id, channel_id=channel.id, last_read_message_id=message.id
                )
            )

    conversations = 0
    for keys, title, lines in CONVERSATIONS:
        conversation = Conversation(
            kind="direct" if len(keys) == 2 else "group", title=title, created_at=joined
        )
        for key in keys:
            conversation.participants.append(
                ConversationParticipant(user=users[key], joined_at=joined)
            )
        db.session.add(conversation)
        for author, days, minutes, text in lines:
            message = Message(
                conversation=conversation,
                author=users[author],
                body=text,
                created_at=_at(ctx, days, minutes),
            )
            db.session.add(message)
            conversation.last_message_at = message.created_at
            count += 1
        conversations += 1
    db.session.flush()
    ctx.objects["groups"] = groups
    ctx.objects["channels"] = channels
    return {
        "groupes": len(groups),
        "salons": len(channels),
        "messages": count,
        "conversations": conversations,
    }
