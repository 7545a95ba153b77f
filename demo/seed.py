"""The demo office: two staff logins and a realistic, reproducible docket.

Everything is written through the same db/ functions the API uses, so the demo data
passes every validation rule. A fixed random seed makes the data the same on every
run; only the dates move with today, so deadlines stay near and history stays past.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import sqlalchemy as sa

from db.cases import add_party, create_case
from db.inputs import CaseCreate, MovementCreate, PersonCreate, TaskCreate
from db.movements import add_movement
from db.offices import create_account, ensure_office, slugify
from db.persons import create_person
from db.session import Db, act_as
from db.tables import (
    CaseStatus,
    LossRisk,
    PartyRole,
    PersonKind,
    Source,
    accounts,
    offices,
    persons,
)
from db.tasks import create_task
from domain import validators
from domain.viewer import Role, Viewer

OFFICE_NAME = "Escritório Demonstração"
SEED = 2026
CASE_COUNT = 30
BRASILIA = timezone(timedelta(hours=-3), "BRT")  # America/Sao_Paulo, without daylight saving


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


@dataclass(frozen=True)
class _Staff:
    login: DemoLogin
    name: str


STAFF = (
    _Staff(
        DemoLogin(Role.ADMIN.value, "admin@demo.causa.example", "demo-admin-2026"),
        "Helena Vasconcelos Prado",
    ),
    _Staff(
        DemoLogin(Role.LAWYER.value, "advogada@demo.causa.example", "demo-advogada-2026"),
        "Mariana Albuquerque Rocha",
    ),
)


# A client with portal access: sees the folders in which Carlos carries the client tag.
PORTAL_CLIENT = DemoLogin(Role.CLIENT.value, "carlos.lima@example.com.br", "demo-cliente-2026")
PORTAL_PERSON = "carlos"


@dataclass(frozen=True)
class _Person:
    key: str
    name: str
    kind: PersonKind
    has_tax_id: bool = True
    email: str | None = None
    phone: str | None = None
    notes: str | None = None


# The office's clients first, then the parties they face.
NATURAL_CLIENTS = ("joao", "maria", "carlos", "ana")
LEGAL_CLIENTS = ("padaria", "construtora", "transportes")
PERSONS = (
    _Person(
        "joao",
        "João Pedro Almeida Santos",
        PersonKind.NATURAL,
        email="joao.santos@example.com.br",
        phone="(11) 98765-4321",
    ),
    _Person(
        "maria",
        "Maria Aparecida de Souza",
        PersonKind.NATURAL,
        phone="(19) 99123-4567",
        notes="Prefere contato por WhatsApp, no período da tarde.",
    ),
    _Person(
        "carlos",
        "Carlos Eduardo Ferreira Lima",
        PersonKind.NATURAL,
        email="carlos.lima@example.com.br",
        phone="(11) 97412-3658",
    ),
    _Person(
        "ana",
        "Ana Beatriz Rodrigues Costa",
        PersonKind.NATURAL,
        email="ana.costa@example.com.br",
        phone="(13) 98134-2290",
    ),
    _Person(
        "padaria",
        "Padaria Pão Dourado Ltda.",
        PersonKind.LEGAL,
        email="contato@paodourado.example",
        phone="(11) 3456-7890",
        notes="Sócio-administrador: Antônio Carlos Mendes.",
    ),
    _Person(
        "construtora",
        "Construtora Horizonte Paulista S.A.",
        PersonKind.LEGAL,
        email="juridico@horizontepaulista.example",
        phone="(19) 3234-5678",
        notes="Contato no jurídico interno: Dra. Patrícia Nogueira.",
    ),
    _Person(
        "transportes",
        "Transportes Rodovia Sul Ltda.",
        PersonKind.LEGAL,
        email="financeiro@rodoviasul.example",
        phone="(11) 2987-6543",
    ),
    _Person("banco", "Banco Meridional S.A.", PersonKind.LEGAL),
    _Person("conecta", "Conecta Telecomunicações S.A.", PersonKind.LEGAL),
    _Person("mercado", "Supermercados Boa Compra Ltda.", PersonKind.LEGAL),
    _Person("rafael", "Rafael Martins Barbosa", PersonKind.NATURAL, phone="(11) 99876-1234"),
    _Person("luciana", "Luciana Pereira Gomes", PersonKind.NATURAL),
    _Person("municipio", "Município de Campinas", PersonKind.LEGAL, has_tax_id=False),
    _Person(
        "inss", "Instituto Nacional do Seguro Social - INSS", PersonKind.LEGAL, has_tax_id=False
    ),
)


@dataclass(frozen=True)
class _Court:
    name: str
    segment: int  # J of the CNJ number: 4 federal, 5 labour, 8 state
    number: int  # TR of the CNJ number
    sequence_base: int
    district: str
    origin: int  # OOOO of the CNJ number; 0 means the division's own number
    division: str  # "{n}" becomes the division's number
    divisions: int  # how many such divisions the district has


TJSP_SP = _Court("TJSP", 8, 26, 1_000_000, "São Paulo", 100, "{n}ª Vara Cível", 45)
TJSP_CAMPINAS = _Court("TJSP", 8, 26, 1_000_000, "Campinas", 114, "{n}ª Vara Cível", 10)
TJSP_SANTOS = _Court("TJSP", 8, 26, 1_000_000, "Santos", 562, "{n}ª Vara Cível", 12)
TJSP_FAMILY = _Court(
    "TJSP", 8, 26, 1_000_000, "São Paulo", 100, "{n}ª Vara da Família e Sucessões", 12
)
TJSP_JEC = _Court(
    "TJSP", 8, 26, 1_000_000, "São Paulo", 100, "{n}ª Vara do Juizado Especial Cível", 9
)
TJSP_FISCAL = _Court("TJSP", 8, 26, 1_500_000, "Campinas", 114, "Serviço Anexo das Fazendas", 1)
TRT2 = _Court("TRT-2", 5, 2, 1_000_000, "São Paulo", 0, "{n}ª Vara do Trabalho de São Paulo", 90)
TRT15 = _Court("TRT-15", 5, 15, 1_000_000, "Campinas", 0, "{n}ª Vara do Trabalho de Campinas", 12)
TRF3_SP = _Court(
    "TRF-3",
    4,
    3,
    5_000_000,
    "São Paulo",
    6183,
    "{n}ª Vara Previdenciária Federal de São Paulo",
    10,
)
TRF3_JEF = _Court(
    "TRF-3", 4, 3, 5_000_000, "Campinas", 6303, "{n}ª Vara Gabinete do JEF de Campinas", 2
)


@dataclass(frozen=True)
class _Template:
    title: str
    courts: tuple[_Court, ...]
    case_class: str
    subject: str
    clients: tuple[str, ...]
    client_role: PartyRole
    opponents: tuple[str, ...]
    claim: tuple[int, int]  # reais
    fee: str
    note: str
    co_client: bool = False

    @property
    def labour(self) -> bool:
        return self.courts[0].segment == 5


_CIVIL = (TJSP_SP, TJSP_CAMPINAS, TJSP_SANTOS)
_LABOUR = (TRT2, TRT15)
_SUCCESS_FEE = "R$ 3.000,00 na contratação + 20% do proveito econômico obtido"
TEMPLATES = (
    _Template(
        "Ação de indenização por danos morais",
        _CIVIL,
        "Procedimento Comum Cível",
        "Indenização por Dano Moral - inscrição indevida em cadastro de inadimplentes",
        NATURAL_CLIENTS,
        PartyRole.PLAINTIFF,
        ("banco", "conecta"),
        (10_000, 40_000),
        "30% do proveito econômico, sem honorários iniciais",
        "Negativação mantida após a quitação; cliente guardou os comprovantes de pagamento.",
    ),
    _Template(
        "Ação revisional de contrato bancário",
        _CIVIL,
        "Procedimento Comum Cível",
        "Contratos Bancários - juros remuneratórios abusivos",
        NATURAL_CLIENTS + LEGAL_CLIENTS,
        PartyRole.PLAINTIFF,
        ("banco",),
        (20_000, 250_000),
        _SUCCESS_FEE,
        "Perícia contábil prévia indica cobrança acima da taxa média do BACEN.",
    ),
    _Template(
        "Ação de cobrança",
        _CIVIL,
        "Procedimento Comum Cível",
        "Prestação de Serviços - inadimplemento contratual",
        LEGAL_CLIENTS,
        PartyRole.PLAINTIFF,
        ("mercado", "conecta", "rafael"),
        (8_000, 180_000),
        "Contrato de partido mensal; êxito de 10% sobre o valor recuperado",
        "Notificação extrajudicial enviada e não respondida.",
    ),
    _Template(
        "Ação de despejo por falta de pagamento c/c cobrança de aluguéis",
        _CIVIL,
        "Despejo por Falta de Pagamento Cumulado Com Cobrança",
        "Locação de Imóvel - despejo",
        NATURAL_CLIENTS,
        PartyRole.PLAINTIFF,
        ("rafael", "luciana"),
        (12_000, 60_000),
        "Honorários fixos de R$ 4.500,00 + 10% dos aluguéis recuperados",
        "Locatário com cinco aluguéis em atraso; fiador já notificado.",
        co_client=True,
    ),
    _Template(
        "Execução de título extrajudicial",
        _CIVIL,
        "Execução de Título Extrajudicial",
        "Duplicata",
        LEGAL_CLIENTS,
        PartyRole.PLAINTIFF,
        ("mercado", "rafael", "luciana"),
        (15_000, 120_000),
        "Contrato de partido mensal; êxito de 10% sobre o valor recuperado",
        "Pesquisar bens do executado (SISBAJUD e RENAJUD) se não houver pagamento.",
    ),
    _Template(
        "Ação de obrigação de fazer c/c indenização - falha na prestação de serviço",
        (TJSP_JEC,),
        "Procedimento do Juizado Especial Cível",
        "Telefonia",
        NATURAL_CLIENTS,
        PartyRole.PLAINTIFF,
        ("conecta",),
        (5_000, 40_000),
        "30% do proveito econômico, sem honorários iniciais",
        "Linha cancelada sem aviso; cliente tem os protocolos de atendimento.",
    ),
    _Template(
        "Execução fiscal",
        (TJSP_FISCAL,),
        "Execução Fiscal",
        "IPTU / Imposto Predial e Territorial Urbano",
        NATURAL_CLIENTS + LEGAL_CLIENTS,
        PartyRole.DEFENDANT,
        ("municipio",),
        (3_000, 90_000),
        "Honorários fixos de R$ 6.000,00 em três parcelas",
        "Verificar prescrição dos exercícios mais antigos antes da exceção de pré-executividade.",
        co_client=True,
    ),
    _Template(
        "Ação de alimentos",
        (TJSP_FAMILY,),
        "Alimentos - Lei Especial Nº 5.478/68",
        "Fixação",
        ("ana", "maria"),
        PartyRole.PLAINTIFF,
        ("rafael",),
        (12_000, 50_000),
        "Honorários fixos de R$ 3.500,00, parcelados em cinco vezes",
        "Processo em segredo de justiça; não comentar detalhes por telefone.",
    ),
    _Template(
        "Embargos à execução",
        _CIVIL,
        "Embargos à Execução",
        "Excesso de execução",
        LEGAL_CLIENTS,
        PartyRole.PLAINTIFF,
        ("banco",),
        (30_000, 300_000),
        _SUCCESS_FEE,
        "Planilha do banco aplica juros capitalizados não previstos no contrato.",
    ),
    _Template(
        "Reclamação trabalhista - horas extras e verbas rescisórias",
        _LABOUR,
        "Ação Trabalhista - Rito Ordinário",
        "Horas Extras",
        ("joao", "carlos", "maria"),
        PartyRole.PLAINTIFF,
        ("conecta", "mercado"),
        (40_000, 220_000),
        "30% do valor líquido recebido pelo reclamante",
        "Cliente tem cartões de ponto e testemunha (ex-colega de setor).",
    ),
    _Template(
        "Reclamação trabalhista",
        _LABOUR,
        "Ação Trabalhista - Rito Ordinário",
        "Verbas Rescisórias",
        LEGAL_CLIENTS,
        PartyRole.DEFENDANT,
        ("rafael", "luciana"),
        (25_000, 150_000),
        "Contrato de partido mensal (assessoria trabalhista)",
        "Reunir controles de jornada, recibos de férias e TRCT com o RH do cliente.",
    ),
    _Template(
        "Reclamação trabalhista - rito sumaríssimo",
        _LABOUR,
        "Ação Trabalhista - Rito Sumaríssimo",
        "Adicional de Insalubridade",
        LEGAL_CLIENTS,
        PartyRole.DEFENDANT,
        ("rafael", "luciana"),
        (10_000, 55_000),
        "Contrato de partido mensal (assessoria trabalhista)",
        "Solicitar ao cliente o PPRA/PGR e as fichas de entrega de EPI.",
    ),
    _Template(
        "Ação previdenciária - aposentadoria por tempo de contribuição",
        (TRF3_SP,),
        "Procedimento Comum Cível",
        "Aposentadoria por Tempo de Contribuição (Art. 55/6)",
        NATURAL_CLIENTS,
        PartyRole.PLAINTIFF,
        ("inss",),
        (60_000, 200_000),
        "30% dos atrasados, limitado a 12 parcelas do benefício",
        "Averbar período rural de 1988 a 1994; CNIS com vínculos em aberto.",
    ),
    _Template(
        "Concessão de auxílio por incapacidade temporária",
        (TRF3_JEF,),
        "Procedimento do Juizado Especial Cível",
        "Auxílio por Incapacidade Temporária",
        NATURAL_CLIENTS,
        PartyRole.PLAINTIFF,
        ("inss",),
        (15_000, 80_000),
        "30% dos atrasados, limitado a 12 parcelas do benefício",
        "Laudos médicos atualizados entregues em cópia; perícia judicial pendente.",
    ),
)

_EXTRA_NOTES = (
    "Cliente prefere contato por WhatsApp.",
    "Documentos originais arquivados na pasta física.",
    "Avaliar proposta de acordo antes da audiência.",
    "Custas iniciais recolhidas pelo cliente.",
    "Cliente beneficiário da justiça gratuita.",
)
_PHASES = {
    CaseStatus.ACTIVE: ("Conhecimento", "Instrução", "Aguardando sentença", "Recursal"),
    CaseStatus.SUSPENDED: (
        "Suspenso - acordo em cumprimento",
        "Suspenso - aguardando julgamento de tema repetitivo",
    ),
    CaseStatus.CLOSED: (
        "Encerrado - acordo homologado",
        "Encerrado - sentença transitada em julgado",
    ),
}
_EXECUTION_PHASES = ("Citação", "Penhora de bens", "Avaliação de bens")

# CNJ movement codes (Tabela Processual Unificada), in the order a case goes through them.
_COURT_STEPS = (
    (26, "Distribuído por sorteio"),
    (11010, "Proferido despacho de mero expediente"),
    (85, "Petição juntada - contestação"),
    (970, "Audiência de conciliação designada"),
    (85, "Petição juntada - réplica"),
    (51, "Conclusos para decisão"),
    (193, "Sentença proferida"),
    (1061, "Disponibilizado no Diário da Justiça Eletrônico"),
)
_CLOSING_STEP = (848, "Certificado o trânsito em julgado")
_INTERNAL_NOTES = (
    "Reunião com o cliente",
    "Cálculo atualizado",
    "Cliente informado sobre o andamento por e-mail",
    "Análise da peça da parte contrária",
    "Proposta de acordo enviada à parte contrária",
    "Cópia integral dos autos baixada e conferida",
)
_PLAINTIFF_TASKS = (
    "Réplica à contestação",
    "Especificação de provas",
    "Manifestação sobre laudo pericial",
    "Preparar o cliente para a audiência",
)
_DEFENDANT_TASKS = ("Contestação", "Juntar documentos do cliente", "Rol de testemunhas")


@dataclass(frozen=True)
class _FromDataJud:
    """A demo folder whose process is one of tests/data/datajud_sample.json's, so that the
    README's `causa import-datajud` example matches it; its class and subject are left for
    the import to fill. The demo client is its client."""

    title: str  # of the template whose folder it becomes
    cnj_number: str
    filed_on: date
    court: str
    court_division: str
    district: str


DATAJUD_FOLDERS = (
    _FromDataJud(
        "Ação de indenização por danos morais",
        "1023456-21.2021.8.26.0100",
        date(2021, 3, 15),
        "TJSP",
        "5ª Vara Cível - Foro Central Cível",
        "São Paulo",
    ),
    _FromDataJud(
        "Concessão de auxílio por incapacidade temporária",
        "0804321-47.2022.4.05.8100",
        date(2022, 6, 8),
        "TRF-5",
        "13ª Vara Federal CE (JEF)",
        "Fortaleza",
    ),
)


def logins() -> list[DemoLogin]:
    return [*(staff.login for staff in STAFF), PORTAL_CLIENT]


async def seed(db: Db) -> list[DemoLogin]:
    """Create the demo office once; later calls only return its logins.

    A demo office made before portal access existed gets its portal client then.
    """
    office_id = await db.scalar(
        sa.select(offices.c.id).where(offices.c.slug == slugify(OFFICE_NAME))
    )
    if office_id is not None:
        await act_as(db, _admin(office_id, uuid.uuid4()))
        if await db.scalar(
            sa.select(accounts.c.id).where(accounts.c.office_id == office_id).limit(1)
        ):
            await _ensure_portal_client(db, office_id)
            return logins()

    office = await ensure_office(db, name=OFFICE_NAME)
    staff_ids: list[uuid.UUID] = []
    for staff in STAFF:
        account = await create_account(
            db,
            office_id=office["id"],
            email=staff.login.email,
            name=staff.name,
            role=Role(staff.login.role),
            password=staff.login.password,
        )
        staff_ids.append(account["id"])
    viewer = _admin(office["id"], staff_ids[0])
    await act_as(db, viewer)
    rng = random.Random(SEED)  # noqa: S311 - reproducible demo data, not a secret
    person_ids = await _create_persons(db, viewer, rng)
    kinds = [TEMPLATES[i % len(TEMPLATES)] for i in range(CASE_COUNT)]
    rng.shuffle(kinds)
    today = date.today()
    fixed: dict[int, _FromDataJud] = {}
    for folder in DATAJUD_FOLDERS:
        fixed[
            next(n for n, t in enumerate(kinds) if t.title == folder.title and n not in fixed)
        ] = folder
    for number, template in enumerate(kinds):
        await _create_case(
            db,
            viewer,
            rng,
            template,
            today=today,
            person_ids=person_ids,
            lawyer_id=staff_ids[number % len(staff_ids)],
            staff_ids=staff_ids,
            datajud=fixed.get(number),
        )
    await _ensure_portal_client(db, office["id"])
    return logins()


def _admin(office_id: uuid.UUID, account_id: uuid.UUID) -> Viewer:
    """The demo's administrator, as the viewer the demo data is written by."""
    admin = STAFF[0]
    return Viewer(
        account_id=account_id,
        office_id=office_id,
        role=Role.ADMIN,
        email=admin.login.email,
        name=admin.name,
        session_id=uuid.uuid4(),
    )


async def _ensure_portal_client(db: Db, office_id: uuid.UUID) -> None:
    name = next(person.name for person in PERSONS if person.key == PORTAL_PERSON)
    person_id = await db.scalar(
        sa.select(persons.c.id).where(persons.c.office_id == office_id, persons.c.name == name)
    )
    has_account = await db.scalar(
        sa.select(accounts.c.id).where(
            accounts.c.office_id == office_id, accounts.c.email == PORTAL_CLIENT.email
        )
    )
    if person_id is None or has_account is not None:
        return
    await create_account(
        db,
        office_id=office_id,
        email=PORTAL_CLIENT.email,
        name=name,
        role=Role.CLIENT,
        password=PORTAL_CLIENT.password,
        person_id=person_id,
    )


async def _create_persons(db: Db, viewer: Viewer, rng: random.Random) -> dict[str, uuid.UUID]:
    ids: dict[str, uuid.UUID] = {}
    for person in PERSONS:
        tax_id = None
        if person.has_tax_id and person.kind is PersonKind.NATURAL:
            tax_id = validators.make_cpf(f"{rng.randrange(10**8, 10**9):09d}")
        elif person.has_tax_id:
            tax_id = validators.make_cnpj(f"{rng.randrange(10**7, 10**8):08d}0001")
        written = PersonCreate(
            name=person.name,
            kind=person.kind,
            tax_id=tax_id,
            email=person.email,
            phone=person.phone,
            notes=person.notes,
        )
        row = await create_person(db, viewer=viewer, person=written)
        ids[person.key] = row["id"]
    return ids


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100)).scaleb(-2)


def _status(rng: random.Random) -> CaseStatus:
    draw = rng.random()
    if draw < 0.72:
        return CaseStatus.ACTIVE
    return CaseStatus.SUSPENDED if draw < 0.86 else CaseStatus.CLOSED


def _case(
    rng: random.Random, template: _Template, *, filed_on: date, lawyer_id: uuid.UUID
) -> CaseCreate:
    court = rng.choice(template.courts)
    division_number = rng.randint(1, court.divisions)
    origin = court.origin or division_number
    cnj = validators.make_cnj(
        court.sequence_base + rng.randrange(100_000),
        filed_on.year,
        court.segment,
        court.number,
        origin,
    )
    status = _status(rng)
    executing = template.case_class.startswith("Execução")
    phase = rng.choice(
        _EXECUTION_PHASES if executing and status is CaseStatus.ACTIVE else _PHASES[status]
    )
    notes = template.note
    if rng.random() < 0.5:
        notes += " " + rng.choice(_EXTRA_NOTES)
    return CaseCreate(
        title=template.title,
        cnj_number=cnj,
        court=court.name,
        court_division=court.division.format(n=division_number),
        district=court.district,
        instance="2º grau" if phase == "Recursal" else "1º grau",
        case_class=template.case_class,
        subject=template.subject,
        filed_on=filed_on,
        claim_value=_money(rng, *template.claim),
        status=status,
        phase=phase,
        responsible_lawyer_id=lawyer_id,
        internal_notes=notes,
        loss_risk=rng.choice(list(LossRisk)),
        fee_agreement=template.fee,
    )


async def _create_case(
    db: Db,
    viewer: Viewer,
    rng: random.Random,
    template: _Template,
    *,
    today: date,
    person_ids: dict[str, uuid.UUID],
    lawyer_id: uuid.UUID,
    staff_ids: list[uuid.UUID],
    datajud: _FromDataJud | None = None,
) -> None:
    filed_on = today - timedelta(days=rng.randint(90, 1500))
    if datajud is not None:
        filed_on = datajud.filed_on
    written = _case(rng, template, filed_on=filed_on, lawyer_id=lawyer_id)
    if datajud is not None:
        written = written.model_copy(
            update={
                "cnj_number": datajud.cnj_number,
                "court": datajud.court,
                "court_division": datajud.court_division,
                "district": datajud.district,
                "case_class": None,
                "subject": None,
            }
        )
    case = await create_case(db, viewer=viewer, case=written)
    case_id: uuid.UUID = case["id"]

    clients = [PORTAL_PERSON if datajud is not None else rng.choice(template.clients)]
    if template.co_client and rng.random() < 0.5:
        clients.append(rng.choice([key for key in template.clients if key not in clients]))
    opposing_role = (
        PartyRole.DEFENDANT if template.client_role is PartyRole.PLAINTIFF else PartyRole.PLAINTIFF
    )
    parties = [(key, template.client_role, True) for key in clients]
    parties.append((rng.choice(template.opponents), opposing_role, False))
    for key, role, is_client in parties:
        await add_party(
            db,
            viewer=viewer,
            case_id=case_id,
            person_id=person_ids[key],
            role=role,
            is_client=is_client,
        )

    status = written.status or CaseStatus.ACTIVE
    for movement in _movements(rng, filed_on=filed_on, today=today, status=status):
        await add_movement(db, viewer=viewer, case_id=case_id, movement=movement)

    if status is CaseStatus.ACTIVE and rng.random() < 0.7:
        for task in _tasks(rng, template, today=today, lawyer_id=lawyer_id, staff_ids=staff_ids):
            await create_task(db, viewer=viewer, case_id=case_id, task=task)


def _moment(rng: random.Random, day: date) -> datetime:
    return datetime.combine(day, time(rng.randint(8, 18), rng.randrange(60)), tzinfo=BRASILIA)


def _movements(
    rng: random.Random, *, filed_on: date, today: date, status: CaseStatus
) -> list[MovementCreate]:
    """3-8 movements between the filing and yesterday: court steps in order, notes between."""
    count = rng.randint(3, 8)
    internal = rng.randint(1, min(3, count - 2))
    steps = list(_COURT_STEPS[: count - internal])
    if status is CaseStatus.CLOSED:
        steps[-1] = _CLOSING_STEP
    span = (today - filed_on).days  # at least 90
    days = sorted(rng.sample(range(1, span), len(steps) - 1))
    result = [
        MovementCreate(
            occurred_at=_moment(rng, filed_on + timedelta(days=offset)),
            description=description,
            code=code,
            source=Source.COURT,
        )
        for (code, description), offset in zip(steps, [0, *days], strict=True)
    ]
    for description in rng.sample(_INTERNAL_NOTES, internal):
        day = filed_on + timedelta(days=rng.randrange(1, span))
        result.append(
            MovementCreate(
                occurred_at=_moment(rng, day), description=description, source=Source.INTERNAL
            )
        )
    return sorted(result, key=lambda movement: movement.occurred_at)


def _tasks(
    rng: random.Random,
    template: _Template,
    *,
    today: date,
    lawyer_id: uuid.UUID,
    staff_ids: list[uuid.UUID],
) -> list[TaskCreate]:
    appeal = "Recurso ordinário" if template.labour else "Recurso de apelação"
    defending = template.client_role is PartyRole.DEFENDANT
    titles = [*(_DEFENDANT_TASKS if defending else _PLAINTIFF_TASKS), appeal]
    result: list[TaskCreate] = []
    for title in rng.sample(titles, rng.randint(1, 3)):
        due_on = today + timedelta(days=rng.randint(-12, 25))
        result.append(
            TaskCreate(
                title=title,
                due_on=due_on,
                done=due_on < today and rng.random() < 0.7,
                assignee_id=lawyer_id if rng.random() < 0.8 else rng.choice(staff_ids),
            )
        )
    return result
