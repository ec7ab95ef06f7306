"""`python -m anomaly_lab experiment=gw_cnnae ...` runs the training and evaluation flow.

`+experiment=<name>`, the spelling of earlier releases, is read as `experiment=<name>`: the experiment group
now has a default (null) in conf/train.yaml, placed before `debug` so that debug settings win over it.
"""

import sys

from anomaly_lab.config import register_schemas
from anomaly_lab.train import main

if __name__ == "__main__":
    sys.argv = [a.removeprefix("+") if a.startswith("+experiment=") else a for a in sys.argv]
    register_schemas()
    main()
