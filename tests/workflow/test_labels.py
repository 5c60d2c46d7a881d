"""Document types in words on the application pages (issue 17 part 10): never ``id_card``."""

from __future__ import annotations

from django.utils import translation

from dpf.workflow.procedures import document_types
from dpf.workflow.templatetags.workflow_labels import doc_type_label


def test_a_document_type_reads_as_its_name_in_both_languages() -> None:
    code, shipped = next(iter(document_types().items()))
    with translation.override("zh-hans"):
        assert doc_type_label(code) == shipped.name_zh != code
    with translation.override("en"):
        assert doc_type_label(code) == shipped.name_en
    with translation.override("zh-hans"):
        assert doc_type_label("no_such_type") == "其他材料"
