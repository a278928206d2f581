"""The homework's reference solution and its plausible wrong variants, loaded from their one
home, the instructor's ``assignments/source/optimizers/autograde/variants.py`` (made from the
assignment notebook's solution cells); see there. Loaded by path: it is no package of the tests."""
import importlib.util
from pathlib import Path

PATH = Path(__file__).resolve().parents[2] / "assignments" / "source" / "optimizers" / "autograde" / "variants.py"
_spec = importlib.util.spec_from_file_location("optimizers_variants", PATH)
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)

CORRECT, WRONG, CHANGES = _module.CORRECT, _module.WRONG, _module.CHANGES
_rprop, _quickprop, _nesterov = _module._rprop, _module._quickprop, _module._nesterov
module = _module
