"""Airflow DAG: daily retrain -> evaluate -> promote-if-better for CrimePulse.

Targets Apache Airflow 3.1 (TaskFlow API from `airflow.sdk`) and also imports on Airflow 2.10
(`airflow.decorators`). Talks to a running CrimePulse over its HTTP API:

  retrain            POST /admin/retrain {"model": M}  (Authorization: Bearer $CRIMEPULSE_ADMIN_TOKEN);
                     the server trains a candidate version and records its evaluation metrics
  evaluate           GET  /v1/models: the candidate (newest version) and the champion with their metrics
  promote_if_better  POST /admin/promote {"model": M, "version": V} only when the candidate's metric beats
                     the champion's by more than CRIMEPULSE_MIN_IMPROVEMENT (a tie keeps the champion)

Settings (Airflow Variables win over environment variables of the worker):
  crimepulse_api_url        CRIMEPULSE_API_URL         default http://process:8080
  crimepulse_admin_token    CRIMEPULSE_ADMIN_TOKEN     required (store it as a secret Variable/Connection)
  crimepulse_models         CRIMEPULSE_MODELS          default "series-anomaly,predict-iforest"
  crimepulse_metric         CRIMEPULSE_METRIC          default "auc_pr" (higher is better; prefix "-" for lower)
  crimepulse_min_improvement CRIMEPULSE_MIN_IMPROVEMENT default 0

Without Airflow: `python3 deploy/airflow/crimepulse_dag.py` runs the same three steps once (the
scheduled GitHub workflow .github/workflows/retrain.yml does that).

CLI alternative (same flow without the API): `crimepulse train` then `crimepulse evaluate backtest`
in a BashOperator on a worker that has the data dir; see docs/operations.md.

Not run in this repository's CI (no Airflow there): CI byte-compiles this file and runs the pure
decision function below (`decide_promotion`) on sample registry answers (test/deploy/python.test.ts).
"""

from __future__ import annotations

import json
import os
import urllib.request
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

DEFAULT_MODELS = "series-anomaly,predict-iforest"


def setting(name: str, default: Optional[str] = None) -> Optional[str]:
    """An Airflow Variable `crimepulse_<name>`, else the environment variable CRIMEPULSE_<NAME>."""
    try:
        from airflow.models import Variable  # noqa: PLC0415 - only inside Airflow

        value = Variable.get(f"crimepulse_{name}", default_var=None)
        if value not in (None, ""):
            return value
    except Exception:  # noqa: BLE001 - outside Airflow, or no metadata DB: fall back to the environment
        pass
    return os.environ.get(f"CRIMEPULSE_{name.upper()}", default)


def api_call(method: str, path: str, body: Optional[Dict[str, Any]] = None, timeout: float = 3600) -> Any:
    """One JSON request to the CrimePulse API; admin paths carry the bearer token (never logged)."""
    base = (setting("api_url", "http://process:8080") or "").rstrip("/")
    headers = {"accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        headers["content-type"] = "application/json"
    if path.startswith("/admin/"):
        token = setting("admin_token")
        if not token:
            raise RuntimeError("crimepulse_admin_token / CRIMEPULSE_ADMIN_TOKEN is not set")
        headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=timeout) as res:  # noqa: S310 - URL from operator settings
        return json.loads(res.read().decode("utf-8"))


def decide_promotion(models: Dict[str, Any], model: str, metric: str, min_improvement: float = 0.0) -> Dict[str, Any]:
    """Whether the newest version of `model` should replace its champion, from a GET /v1/models answer.

    `metric` is higher-is-better; prefix it with "-" when lower is better. A candidate without the
    metric is never promoted; a model without a champion promotes its newest version that has it.
    """
    lower_better = metric.startswith("-")
    name = metric.lstrip("-")
    entry = next((m for m in models.get("items", []) if m.get("name") == model), None)
    if entry is None or not entry.get("versions"):
        return {"promote": False, "reason": f"no versions of {model}"}
    versions: List[Dict[str, Any]] = entry["versions"]
    candidate = max(versions, key=lambda v: (v.get("createdAt") or "", _version_key(v["version"])))
    champion_id = entry.get("champion")
    if candidate["version"] == champion_id:
        return {"promote": False, "reason": f"newest version {champion_id} is already the champion"}
    cand = candidate.get("metrics", {}).get(name)
    if cand is None:
        return {"promote": False, "reason": f"candidate {candidate['version']} has no metric {name}"}
    champion = next((v for v in versions if v["version"] == champion_id), None)
    champ = None if champion is None else champion.get("metrics", {}).get(name)
    if champ is None:
        return {"promote": True, "version": candidate["version"], "reason": "no champion metric to beat"}
    gain = (champ - cand) if lower_better else (cand - champ)
    better = gain > min_improvement
    return {
        "promote": better,
        "version": candidate["version"],
        "reason": f"{name}: candidate {cand:.4f} vs champion {champ:.4f} ({'better' if better else 'not better'})",
    }


def _version_key(v: str) -> Any:
    return (0, int(v)) if v.isdigit() else (1, v)


def run_once() -> List[Dict[str, Any]]:
    """The same flow without Airflow (cron, .github/workflows/retrain.yml): `python3 crimepulse_dag.py`."""
    metric = setting("metric", "auc_pr") or "auc_pr"
    min_improvement = float(setting("min_improvement", "0") or 0)
    results = []
    for model in [m.strip() for m in (setting("models", DEFAULT_MODELS) or "").split(",") if m.strip()]:
        api_call("POST", "/admin/retrain", {"model": model})
        decision = {"model": model, **decide_promotion(api_call("GET", "/v1/models"), model, metric, min_improvement)}
        if decision["promote"]:
            api_call("POST", "/admin/promote", {"model": model, "version": decision["version"]})
        decision["promoted"] = bool(decision["promote"])
        print(json.dumps(decision))
        results.append(decision)
    return results


# ---- the DAG (only when Airflow is importable: this file is also imported by plain-Python tests) ----
try:
    try:
        from airflow.sdk import dag, task  # Airflow 3.x
    except ImportError:
        from airflow.decorators import dag, task  # Airflow 2.x
    HAVE_AIRFLOW = True
except ImportError:
    HAVE_AIRFLOW = False

if HAVE_AIRFLOW:

    @dag(
        dag_id="crimepulse_daily_retrain",
        description="Retrain CrimePulse models, evaluate, promote the candidate only if it beats the champion",
        schedule="0 3 * * *",
        start_date=datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=1,
        default_args={"retries": 2, "retry_delay": timedelta(minutes=10)},
        tags=["crimepulse", "ml"],
    )
    def crimepulse_daily_retrain():
        @task
        def models() -> List[str]:
            return [m.strip() for m in (setting("models", DEFAULT_MODELS) or "").split(",") if m.strip()]

        @task(execution_timeout=timedelta(hours=2))
        def retrain(model: str) -> Dict[str, Any]:
            return {"model": model, "result": api_call("POST", "/admin/retrain", {"model": model})}

        @task
        def evaluate(trained: Dict[str, Any]) -> Dict[str, Any]:
            model = trained["model"]
            decision = decide_promotion(
                api_call("GET", "/v1/models"),
                model,
                setting("metric", "auc_pr") or "auc_pr",
                float(setting("min_improvement", "0") or 0),
            )
            return {"model": model, **decision}

        @task
        def promote_if_better(decision: Dict[str, Any]) -> Dict[str, Any]:
            if not decision.get("promote"):
                print(f"{decision['model']}: keeping the champion ({decision['reason']})")
                return {**decision, "promoted": False}
            api_call("POST", "/admin/promote", {"model": decision["model"], "version": decision["version"]})
            print(f"{decision['model']}: promoted version {decision['version']} ({decision['reason']})")
            return {**decision, "promoted": True}

        promote_if_better.expand(decision=evaluate.expand(trained=retrain.expand(model=models())))

    crimepulse_daily_retrain()

if __name__ == "__main__":
    run_once()
