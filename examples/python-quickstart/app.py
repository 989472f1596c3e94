"""Flowlens quickstart: a small order pipeline that writes a flowscribe v1 trace.

    python3 app.py            # one run: writes .autodev/ beside this file
    code .                    # open this folder in VS Code: Flowlens lists the run
    npx flowlens runs . --json

Standard library only (flowtrace.py is the tracer). Each run succeeds for most orders and
fails for two of them on purpose: one business failure (a quantity of 0) and one exception
(an unknown product), so there is something to jump to.
"""
import os
import random
import time

from flowtrace import Session

PRICES = {"apple": 0.5, "bread": 2.25, "coffee": 7.0}
ORDERS = [
    {"order_id": "A-1001", "product": "apple", "qty": 12, "customer": {"name": "Ada", "token": "s3cr3t"}},
    {"order_id": "A-1002", "product": "coffee", "qty": 0},
    {"order_id": "A-1003", "product": "bread", "qty": 3},
    {"order_id": "A-1004", "product": "tea", "qty": 1},
]


def load_orders(trace, parent):
    with trace.flow("orders/load", parent=parent) as f:
        f.checkpoint("read", evidence={"source": "memory", "rows": len(ORDERS)})
        if not ORDERS:
            f.failure("DATA.EMPTY", "no orders to process", step="read", evidence={"rows": 0})
            return []
        f.success(step="read", reason="rows > 0", evidence={"rows": len(ORDERS)})
        return list(ORDERS)


def price(order):
    return PRICES[order["product"]] * order["qty"]          # KeyError for an unknown product


def process(trace, parent, order):
    corr = {"order_id": order["order_id"], "product": order["product"]}
    with trace.flow("orders/process", parent=parent, tags=[order["product"]], correlation=corr) as f:
        f.checkpoint("validate", evidence={"qty": order["qty"], "customer": order.get("customer")})
        if order["qty"] <= 0:
            f.failure("BUSINESS.INVALID_QTY", "quantity must be positive, got %d" % order["qty"],
                      step="validate", evidence={"order_id": order["order_id"], "qty": order["qty"]})
            return
        time.sleep(random.uniform(0.005, 0.03))              # some latency for the rollups
        total = price(order)
        f.checkpoint("priced", evidence={"total": total})
        f.success(step="priced", reason="total > 0", evidence={"total": total})
        trace.metric("order_total", total, unit="EUR", flow="orders/process", flow_id=f.id)


def main():
    root = os.path.dirname(os.path.abspath(__file__))
    with Session(app="shop", mode="dev", tags=["quickstart"], root=root) as trace:
        with trace.flow("orders/pipeline", correlation={"date": time.strftime("%Y-%m-%d")}) as pipeline:
            for order in load_orders(trace, pipeline):
                process(trace, pipeline, order)
            pipeline.success(reason="all orders handled")
    print("wrote run %s to %s" % (trace.run_id, os.path.join(root, ".autodev")))


if __name__ == "__main__":
    main()
