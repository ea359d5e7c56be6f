//! CSV import (in progress).
