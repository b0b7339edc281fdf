from __future__ import annotations

import pytest

from crisis.templating import TemplateRegistry


@pytest.fixture(scope="session")
def registry() -> TemplateRegistry:
    return TemplateRegistry.with_bundled()
