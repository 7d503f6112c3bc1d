"""Which layer each test file tests (issue 16: tests by layer). conftest.py marks every test with
its file's layer, so `pytest -m kernels` (or api, cli, jobs) runs one layer, and `pytest -m fast`
runs the subset a newcomer runs first (under a minute on 2 cores: C++ kernels against their slow
references, and the pure-Python statistics and synthesizers).

- kernels: one C++ or NumPy operation against a slow reference or a property
- api: the Python functions and classes a user calls, on real faces
- cli: `facenorm COMMAND` as a user types it, the notebooks in a Jupyter kernel, and the
  package installed from a wheel into a fresh venv (test_installed_package)
- jobs: batch jobs over files: datasets, training, evaluation protocols
"""
LAYERS = {
    "kernels": ["test_score_kernels", "test_warp", "test_face_geometry", "test_nets_tensors", "test_fold_guard",
                "test_lip_transform_v1", "test_lip_transform_v2", "test_palsy_transform", "test_cleft_synth",
                "test_agreement_stats", "test_deep_features", "test_lip_networks", "test_learned_networks",
                "test_shape_training"],
    "api": ["test_appraisal", "test_appraisal_networks", "test_normalizers", "test_normal_model", "test_normality_calibration",
            "test_pipeline_paths", "test_bad_input", "test_models", "test_palsy_measures", "test_palsy_assessment",
            "test_landmark_refine", "test_landmark_fcn", "test_landmark_registry", "test_landmark_samples",
            "test_old_module_paths", "test_public_names", "test_palsy_parsing", "test_learned_normalizer",
            "test_normalize_torchscript", "test_gan_inversion", "test_lipdetect_stats", "test_ablation_table",
            "test_score_pipeline"],
    "cli": ["test_cli", "test_cli_contract", "test_normalize_cli", "test_agreement_cli", "test_landmark_fcn_cli", "test_notebooks",
            "test_installed_package"],
    "jobs": ["test_prepare", "test_datasets", "test_dataset_writer_lock", "test_synth", "test_normalize_job",
             "test_lip_pairs", "test_lip_protocol", "test_lip_training", "test_lip_dataset_ages",
             "test_lip_false_alarms", "test_cluster_jobs"],
}
FAST = ["test_score_kernels", "test_warp", "test_face_geometry", "test_fold_guard", "test_lip_transform_v1",
        "test_palsy_transform", "test_cleft_synth", "test_agreement_stats", "test_ablation_table",
        "test_normality_calibration", "test_bad_input", "test_landmark_samples", "test_old_module_paths",
        "test_public_names"]


def layer_of(module_name: str):
    for layer, names in LAYERS.items():
        if module_name in names:
            return layer
    return None
