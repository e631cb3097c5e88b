// Types only: the header is what this target is for (SwiftPM wants one source file).
#include "image_inspection.h"
