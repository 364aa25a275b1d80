// SPDX-License-Identifier: GPL-2.0-only
/* The repository's vfio_pci.c, with the test entry of its denylist. */
#include "vfio_pci.c"
