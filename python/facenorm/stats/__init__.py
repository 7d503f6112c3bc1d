"""Human-agreement statistics (PLOS ONE 2023 Results, Table 1); docs/agreement.md.

    from facenorm.stats import pearson, read_ratings_csv, align_scores
    ratings = read_ratings_csv("survey.csv")           # image id -> mean rating (1..7)
    matched = align_scores(scores, ratings)            # scores: image id -> S
    print(pearson(matched.scores, matched.ratings))    # S larger = more normal: r > 0 expected
"""
from .agreement import (  # noqa: F401
    AUCResult, Correlation, average_ranks, kendall_tau, normal_quantile, pearson,
    regularized_incomplete_beta, roc_auc, spearman,
)
from .ratings import (  # noqa: F401
    Alignment, RatingsTable, align_scores, normalize_id, read_ratings_csv, read_ratings_table,
)
from .ablation import (  # noqa: F401
    AblationCell, AblationTable, MethodUnavailable, ablation_table, default_functions,
)
