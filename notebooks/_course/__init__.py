"""What the course's notebooks need besides the engine: pictures that show before a notebook runs,
exercise checks that say what is wrong, and the reference solutions on request.

The notebooks import it as `_course` (it sits beside them, in notebooks/); it is not part of the
engine, `autograd_from_scratch`. The Chinese notebooks (notebooks/zh/) import the same modules
through notebooks/zh/_course, which makes them speak Chinese and draw with a CJK font (language.py).
"""
from .checks import Wrong, engine_name, exercise
from .pictures import interactive, show_pictures
from .solutions import load_solution, solution

__all__ = ["Wrong", "engine_name", "exercise", "interactive", "load_solution", "show_pictures", "solution"]
