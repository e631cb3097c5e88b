// The shim implements the API declared in CImageInspectionAPI.
#include "image_inspection.h"
