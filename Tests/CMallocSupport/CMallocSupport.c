// Headers only: see include/CMallocSupport.h.
#include "CMallocSupport.h"
