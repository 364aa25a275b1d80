// SPDX-License-Identifier: GPL-2.0-only
/* The repository's IGD extension, linked as in vfio-pci.ko. */
#include "vfio_pci_igd.c"
