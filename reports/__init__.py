"""The decision guide: which model to pick for a task, a latency budget and a data size.

Reads MLflow only (through zoo.tracking). Pure functions first, I/O last:

    runs.py          run dicts -> typed cells; identities, sections (task, dataset, environment)
    significance.py  paired bootstrap over per-example statistics; CI-overlap fallback
    ranking.py       leaderboards (mean ± sd over seeds), rank tie groups, Pareto front
    curves.py        learning curves (95% CI bands) and the crossovers that hold
    recommend.py     scenario recommendations and the decision tree
    budget.py        `zoo recommend`: the same rules for any latency, data and size budget
    buckets.py       scores per bucket of test examples (seen/unseen entities, lengths, class)
    disagreements.py test examples where the two best models disagree
    error_analysis.py  both for each section's leaders, from the runs' per-example records
    advice.py        textbook advice checked against measurements
    quantization.py  runtime twins (ONNX float / int8) against their float models
    pretrained_advice.py  frozen vs fine-tuned encoders; pretrained encoders for small data
    layer_mix.py     learned layer weights of frozen encoders across tasks (NER vs sentiment)
    claims/          the textbook claims as data (CLAIMS.md): declarations, tests, the table
    regressions.py   regression watch against the previous run of each cell
    build.py         assembles all of the above into a `Report`
    charts.py        inline SVG charts;  fmt.py  number formatting
    render.py        `render_report(experiment, out_dir)`: index.html, report.md, summary.json
    markdown.py      the Markdown twin;  summary.py  summary.json
    registrations.py what the registry holds for the picks (read-only: `registry_state`)
    pyfunc_loader.py MLflow pyfunc loader for the models that the registration step
                     (`zoo register`, publish/ above this package) registers with scenario aliases
    artifacts.py     Prefect artifacts
"""
