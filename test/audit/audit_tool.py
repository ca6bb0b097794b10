"""tools/ledger-audit loaded as a module (it has no .py name), for the
test scripts beside this file: `from audit_tool import audit`."""

import importlib.machinery
import importlib.util
import os

_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "ledger-audit")
_loader = importlib.machinery.SourceFileLoader("ledger_audit", _path)
audit = importlib.util.module_from_spec(importlib.util.spec_from_loader("ledger_audit", _loader))
_loader.exec_module(audit)
