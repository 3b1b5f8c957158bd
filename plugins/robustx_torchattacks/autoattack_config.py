"""AutoAttack's published configuration (Croce & Hein 2020), one constant per number.

Every value is the reference code's (``autoattack.py`` of fra31/auto-attack, packaged on PyPI as
``pyautoattack``: the ``AutoAttack.__init__`` defaults and ``_set_version``), and
``tests/unit/test_autoattack_fidelity.py`` checks each one against that code, so a number quoted as
"AutoAttack" here is the number RobustBench would report. Import-light: no torch.
"""

from __future__ import annotations

from dataclasses import dataclass

#: iterations of APGD-CE, APGD-DLR and APGD-T (the paper's N_iter = 100)
APGD_STEPS = 100
#: iterations of FAB and FAB-T
FAB_STEPS = 100
#: target classes of APGD-T and FAB-T: the 9 highest-scoring wrong classes (capped at n_classes - 1)
N_TARGET_CLASSES = 9
#: APGD's step-size decay threshold
APGD_RHO = 0.75
#: Square Attack: queries, initial square size, and no rescaling of the p schedule
SQUARE_QUERIES = 5000
SQUARE_P_INIT = 0.8
SQUARE_RESC_SCHEDULE = False
#: gradient samples per APGD step in the 'rand' version (EOT)
RAND_EOT_ITER = 20


@dataclass(frozen=True)
class Stage:
    """One sub-attack of a version, in the reference's names (``apgd-ce``, ``apgd-t``, ``fab-t`` ...)."""

    name: str
    restarts: int = 1
    eot_iter: int = 1


#: the sub-attacks each version runs, in order, each on the examples still robust after the previous ones
VERSIONS: dict[str, tuple[Stage, ...]] = {
    "standard": (Stage("apgd-ce"), Stage("apgd-t"), Stage("fab-t"), Stage("square")),
    "plus": (Stage("apgd-ce", restarts=5), Stage("apgd-dlr", restarts=5), Stage("fab", restarts=5),
             Stage("square"), Stage("apgd-t"), Stage("fab-t")),
    "rand": (Stage("apgd-ce", eot_iter=RAND_EOT_ITER), Stage("apgd-dlr", eot_iter=RAND_EOT_ITER)),
}


@dataclass(frozen=True)
class Budget:
    """The iteration and query budget of one AutoAttack build: the published one, or a reduced one."""

    apgd_steps: int = APGD_STEPS
    fab_steps: int = FAB_STEPS
    square_queries: int = SQUARE_QUERIES

    @property
    def published(self) -> bool:
        return self == PUBLISHED

    def describe(self) -> str:
        return (f"APGD {self.apgd_steps} iterations, FAB {self.fab_steps} iterations, "
                f"Square {self.square_queries} queries")


PUBLISHED = Budget()
