from .assessments import Assessment, AssessmentQuerySet, Evidence, EvidenceQuerySet
from .base import Bilingual, DatePrecision, Language, TimeStampedModel, localized
from .commitments import Commitment, CommitmentInstitution, CommitmentQuerySet
from .indicators import Indicator, Measurement
from .organisations import Membership, Organisation
from .reference import Framework, Institution, Pillar, Region

__all__ = [
    "Assessment",
    "AssessmentQuerySet",
    "Bilingual",
    "Commitment",
    "CommitmentInstitution",
    "CommitmentQuerySet",
    "DatePrecision",
    "Evidence",
    "EvidenceQuerySet",
    "Framework",
    "Indicator",
    "Institution",
    "Language",
    "Measurement",
    "Membership",
    "Organisation",
    "Pillar",
    "Region",
    "TimeStampedModel",
    "localized",
]
