import sys
from pathlib import Path

# The app under test lives beside its tests, as in most customer repositories.
sys.path.insert(0, str(Path(__file__).resolve().parent))
