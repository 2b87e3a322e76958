"""English formats for eFactory: the same dd/mm/aaaa dates and 24-hour times as Spanish.

The product shows dates as dd/mm/aaaa whatever the language (SPEC.md). Without this module a
browser asking for English got Django's m/d/Y and "p.m." times, and a date typed dd/mm/aaaa
was refused. Numbers keep English separators (2.50).
"""

from efactory.formats.es.formats import (  # noqa: F401
    DATE_FORMAT,
    DATE_INPUT_FORMATS,
    DATETIME_FORMAT,
    FIRST_DAY_OF_WEEK,
    SHORT_DATE_FORMAT,
    SHORT_DATETIME_FORMAT,
    TIME_FORMAT,
    TIME_INPUT_FORMATS,
)
