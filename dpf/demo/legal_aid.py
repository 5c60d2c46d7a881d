"""Demo legal aid referrals (法律援助转介, issue 20 part 3): about one referral for every 150
persons of a county (at least three), referred since 2023 to the county's legal aid centre,
most answered (concluded, accepted or declined) and a few still awaiting an answer, some of
them more than 30 days, so the list's overdue notice has something to show.

A demo step (``step(ctx)``, see ``dpf.demo.context``): random numbers from ``ctx.rng``,
dates from ``ctx.as_of``, never the wall clock; bulk-written in the shape
``dpf.social.legal_aid.referral_create`` and ``referral_outcome`` write (the rules are the
services', which tests/social exercises). Adds nothing on a second run.
"""

from __future__ import annotations

import datetime as dt
import random

from dpf.core.models import Region
from dpf.demo.columns import grouped
from dpf.demo.context import DemoContext
from dpf.registry.models import Person
from dpf.social.legal_aid import DEFAULT_CENTRE
from dpf.social.models import LegalAidChannel, LegalAidReferral, LegalMatter

FIRST_DAY = dt.date(2023, 1, 1)
PERSONS_PER_REFERRAL = 150
MATTERS = {
    LegalMatter.EMPLOYMENT: ["用人单位拖欠工资", "解除劳动合同未支付经济补偿", "工伤待遇争议"],
    LegalMatter.INJURY: ["交通事故人身损害赔偿", "医疗损害赔偿"],
    LegalMatter.FAMILY: ["离婚财产分割", "家庭暴力，申请人身安全保护令"],
    LegalMatter.MAINTENANCE: ["子女不履行赡养义务", "抚养费未按时支付"],
    LegalMatter.PROPERTY: ["房屋被占用", "土地承包经营权纠纷"],
    LegalMatter.ADMINISTRATIVE: ["低保停发，申请行政复议", "征收补偿争议"],
    LegalMatter.OTHER: ["借款被拒不归还"],
}
DECLINE_REASONS = ["经审查不符合经济困难标准", "不属于法律援助事项范围", "已超过诉讼时效"]
RESULTS = [
    "经调解达成协议，已履行",
    "法院判决支持主要诉求",
    "仲裁裁决支付拖欠工资",
    "当事人撤回申请",
]


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, max(0, (end - start).days)))


def legal_aid_referrals(ctx: DemoContext) -> None:
    if LegalAidReferral.objects.exists():
        return
    rng = ctx.rng("legal-aid")
    # every person by county, column by column (dpf.demo.columns), read as a stream
    by_county = grouped(
        Person.objects.values_list("pk", "county_code", "township_code", "village_code")
        .order_by("pk")
        .iterator(chunk_size=5000),
        key=1,
    )
    names = dict(Region.objects.filter(code__in=list(by_county)).values_list("code", "name"))
    rows = []
    for county, persons in sorted(by_county.items()):
        for pk, _county, township, village in rng.sample(
            persons, min(len(persons), max(3, len(persons) // PERSONS_PER_REFERRAL))
        ):
            matter = rng.choice(list(MATTERS))
            referred = _day(rng, FIRST_DAY, ctx.as_of)
            row = LegalAidReferral(
                person_id=pk,
                county_code=county,
                township_code=township,
                village_code=village,
                matter=matter,
                description=rng.choice(MATTERS[matter]),
                channel=rng.choice(list(LegalAidChannel)),
                referred_on=referred,
                referred_to=f"{names.get(county, '')}{DEFAULT_CENTRE}",
            )
            answer = _day(rng, referred, min(ctx.as_of, referred + dt.timedelta(days=20)))
            late = (ctx.as_of - referred).days
            draw = rng.random()
            if late < 20 and draw < 0.5:
                pass  # recent: awaiting the centre's answer
            elif draw < 0.06:
                pass  # no answer yet, long after: overdue on the list
            elif draw < 0.2:
                row.declined_on, row.decline_reason = answer, rng.choice(DECLINE_REASONS)
            else:
                row.accepted_on = answer
                closed = _day(rng, answer, min(ctx.as_of, answer + dt.timedelta(days=180)))
                if late > 90 and draw > 0.3:
                    row.concluded_on, row.result = closed, rng.choice(RESULTS)
            rows.append(row)
    LegalAidReferral.objects.bulk_create(rows)
    ctx.counts.add("social_legalaidreferral", len(rows))
