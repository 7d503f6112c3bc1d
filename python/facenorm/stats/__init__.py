"""Human-agreement statistics (PLOS ONE 2023 Results, Table 1); docs/agreement.md.

    from facenorm.stats import pearson, read_ratings_csv, align_scores
    ratings = read_ratings_csv("survey.csv")           # image id -> mean rating (1..7)
    matched = align_scores(scores, ratings)            # scores: image id -> S
    print(pearson(matched.scores, matched.ratings))    # S larger = more normal: r > 0 expected
"""
from .agreement import AUCResult, Correlation, kendall_tau, pearson, roc_auc, spearman  # noqa: F401
from .ratings import (  # noqa: F401
    Alignment, RatingsTable, align_scores, normalize_id, read_ratings_csv, read_ratings_table,
)
from .ablation import (  # noqa: F401
    AblationCell, AblationTable, MethodUnavailable, ablation_table, default_functions,
)

__all__ = ["AUCResult", "Correlation", "kendall_tau", "pearson", "roc_auc", "spearman", "Alignment",
           "RatingsTable", "align_scores", "normalize_id", "read_ratings_csv", "read_ratings_table",
           "AblationCell", "AblationTable", "MethodUnavailable", "ablation_table", "default_functions"]
