"""The registration step: publish the decision guide's picks to the MLflow Model Registry.

It sits above reports/ and uses it as a library (the report's ranking and recommendations,
`reports.registrations` for what is planned and what the registry holds); nothing in reports/
or in the zoo library imports it. Its callers are the top of the stack: `zoo register`
(zoo/cli.py) and the `register-models` task (flows/register.py), which the benchmark flow
runs after the report.

    register.py   `register_experiment(experiment)`: log, register, point the aliases
    aggregates.py `publish_aggregates(experiment)`: one MLflow run per leaderboard row (mean,
                  sd, CI over seeds, usable, rank), for browsing; `zoo report` and the
                  register-models task write them
"""
