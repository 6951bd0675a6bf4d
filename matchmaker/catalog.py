"""Networks and the category taxonomy, managed by admins."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

from matchmaker import audit
from matchmaker.access import Actor
from matchmaker.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import (
    Category,
    Company,
    CompanyNetwork,
    Network,
    NetworkManager,
    Posting,
    User,
)
from matchmaker.schemas import CategoryInput, NetworkInput


def _admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied(_l("Only administrators can do this."))


def list_networks(*, session: Session, include_inactive: bool = False) -> list[Network]:
    stmt = select(Network).order_by(Network.name)
    if not include_inactive:
        stmt = stmt.where(Network.active == True)  # noqa: E712
    return list(session.execute(stmt).scalars())


def network_by_slug(session: Session, slug: str) -> Network:
    network = session.execute(select(Network).where(Network.slug == slug)).scalar_one_or_none()
    if network is None:
        raise NotFound(_l("This network does not exist."))
    return network


def save_network(
    *, session: Session, actor: Actor, data: NetworkInput, network_id: int | None = None
) -> Network:
    _admin(actor)
    clash = session.execute(
        select(Network.id).where(Network.slug == data.slug, Network.id != network_id)
    ).first()
    if clash is not None:
        raise InvalidInput.single("slug", "slug_taken", _l("This short name is taken already."))
    if network_id is None:
        network = Network(slug=data.slug, name=data.name)
        before: dict[str, object] = {}
    else:
        found = session.get(Network, network_id)
        if found is None:
            raise NotFound(_l("This network does not exist."))
        network = found
        before = network.model_dump(include=set(NetworkInput.model_fields))
    for name, value in data.model_dump().items():
        setattr(network, name, value)
    session.add(network)
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        action="network.create" if network_id is None else "network.update",
        entity="network",
        entity_id=network.id,
        changes=audit.diff(before, data.model_dump()),
    )
    return network


def network_company_counts(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(CompanyNetwork.network_id, func.count())
        .join(Company, Company.id == CompanyNetwork.company_id)
        .where(Company.status == "approved")
        .group_by(CompanyNetwork.network_id)
    ).all()
    return {int(network_id): int(count) for network_id, count in rows}


def list_categories(*, session: Session, include_inactive: bool = False) -> list[Category]:
    stmt = select(Category).order_by(Category.sort_order, Category.slug)
    if not include_inactive:
        stmt = stmt.where(Category.active == True)  # noqa: E712
    return list(session.execute(stmt).scalars())


def save_category(
    *, session: Session, actor: Actor, data: CategoryInput, category_id: int | None = None
) -> Category:
    _admin(actor)
    clash = session.execute(
        select(Category.id).where(Category.slug == data.slug, Category.id != category_id)
    ).first()
    if clash is not None:
        raise InvalidInput.single("slug", "slug_taken", _l("This short name is taken already."))
    if category_id is None:
        category = Category(slug=data.slug, name_de=data.name_de, name_en=data.name_en)
        before: dict[str, object] = {}
    else:
        found = session.get(Category, category_id)
        if found is None:
            raise NotFound(_l("This category does not exist."))
        category = found
        if category.slug != data.slug and _in_use(session, category):
            raise Conflict(_l("The short name of a category in use cannot change."))
        before = category.model_dump(include=set(CategoryInput.model_fields))
    for name, value in data.model_dump().items():
        setattr(category, name, value)
    session.add(category)
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        action="category.create" if category_id is None else "category.update",
        entity="category",
        entity_id=category.id,
        changes=audit.diff(before, data.model_dump()),
    )
    return category


def _in_use(session: Session, category: Category) -> bool:
    return (
        session.execute(select(Posting.id).where(Posting.category_id == category.id)).first()
        is not None
    )


def _set_active(
    session: Session, actor: Actor, item: Network | Category, entity: str, active: bool
) -> None:
    """Switch a network or category on or off, with an audit entry when it changes."""
    if item.active == active:
        return
    item.active = active
    session.add(item)
    audit.record(
        session,
        actor_id=actor.user_id,
        action=f"{entity}.activate" if active else f"{entity}.deactivate",
        entity=entity,
        entity_id=item.id,
        changes={"active": [not active, active]},
    )
    session.flush()


def get_network(*, session: Session, network_id: int) -> Network:
    network = session.get(Network, network_id)
    if network is None:
        raise NotFound(_l("This network does not exist."))
    return network


def set_network_active(*, session: Session, actor: Actor, network_id: int, active: bool) -> Network:
    """Deactivating a network closes it to new registrations; its companies and managers stay."""
    _admin(actor)
    network = get_network(session=session, network_id=network_id)
    _set_active(session, actor, network, "network", active)
    return network


def network_company_counts_by_status(session: Session) -> dict[int, dict[str, int]]:
    """Per network: how many of its companies are in each review status."""
    rows = session.execute(
        select(CompanyNetwork.network_id, Company.status, func.count())
        .join(Company, Company.id == CompanyNetwork.company_id)
        .group_by(CompanyNetwork.network_id, Company.status)
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for network_id, status, count in rows:
        counts.setdefault(int(network_id), {})[str(status)] = int(count)
    return counts


def network_manager_counts(session: Session) -> dict[int, int]:
    """Per network: how many active managers look after it."""
    rows = session.execute(
        select(NetworkManager.network_id, func.count())
        .join(User, User.id == NetworkManager.user_id)
        .where(User.active == True)  # noqa: E712
        .group_by(NetworkManager.network_id)
    ).all()
    return {int(network_id): int(count) for network_id, count in rows}


def get_category(*, session: Session, category_id: int) -> Category:
    category = session.get(Category, category_id)
    if category is None:
        raise NotFound(_l("This category does not exist."))
    return category


def category_in_use(*, session: Session, category: Category) -> bool:
    """Postings refer to the category: its short name is fixed from now on."""
    return _in_use(session, category)


def category_usage_counts(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(Posting.category_id, func.count()).group_by(Posting.category_id)
    ).all()
    return {int(category_id): int(count) for category_id, count in rows}


def set_category_active(
    *, session: Session, actor: Actor, category_id: int, active: bool
) -> Category:
    """A deactivated category is no longer offered for new postings; existing ones keep it."""
    _admin(actor)
    category = get_category(session=session, category_id=category_id)
    _set_active(session, actor, category, "category", active)
    return category
