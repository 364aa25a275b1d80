// SPDX-License-Identifier: GPL-2.0-only
/*
 * SR-IOV on a PF bound to vfio-pci: enabling VFs through sysfs, gated by
 * vfio_pci's enable_sriov; the VF token (VFIO_DEVICE_FEATURE_PCI_VF_TOKEN)
 * that a VF of a user-owned PF, or a PF whose VFs are in use, must present
 * as "BDF vf_token=UUID"; and the PF's bus reset, which reaches the VFs in
 * their own groups and is refused.
 *
 * The cases run in order on the zoo's SR-IOV nvme (04:00.0) and share
 * state; the last one puts everything back (no VFs, enable_sriov as found).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reset_util.h"

#define PF_BDF		"0000:04:00.0"
#define EDU_BDF		"0000:00:03.0"
#define NUM_VFS		2
#define TOKEN		"5e0ccd0b-7f3f-4f4e-9bd2-1f6c0a3e9a61"
#define WRONG_TOKEN	"00000000-1111-2222-3333-444444444444"
/* TOKEN as the 16 bytes of the feature's data. */
static const uint8_t token_bytes[16] = {
	0x5e, 0x0c, 0xcd, 0x0b, 0x7f, 0x3f, 0x4f, 0x4e,
	0x9b, 0xd2, 0x1f, 0x6c, 0x0a, 0x3e, 0x9a, 0x61,
};

static struct {
	char enable_sriov[8];		/* as found, restored at the end */
	char vf[NUM_VFS][PCI_BDF_LEN];
	int nr_vfs;			/* bound to vfio-pci */
	struct vfio_dev pf;		/* open while .pf.fd >= 0 */
	bool token_set;
	/*
	 * The first VF, opened with the token and kept open from one case to
	 * the next: each open and close of a VF costs a function reset that
	 * QEMU's nvme VFs (no secondary controller online) answer only after
	 * the PCI core's 65 s wait, so the program opens one just once.
	 */
	int vf_container_fd, vf_group_fd, vf_fd;
} s = {
	.pf = { .fd = -1, .group_fd = -1, .container_fd = -1 },
	.vf_container_fd = -1, .vf_group_fd = -1, .vf_fd = -1,
};

static bool need_vfs(void)
{
	if (s.nr_vfs == NUM_VFS)
		return true;
	tap_case_skip("no VFs: enabling them failed above");
	return false;
}

/* virtfnN of the PF is a link to ../0000:04:00.M: its BDF. */
static int vf_bdf(int i, char *buf, size_t len)
{
	char path[128], target[128];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/virtfn%d", PF_BDF, i);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len)
		return -ENAMETOOLONG;
	strcpy(buf, base);
	return 0;
}

/* Opens a device of @group_fd by @name; the fd or -errno. */
static int get_fd(int group_fd, const char *bdf, const char *token)
{
	char name[96];

	if (token)
		snprintf(name, sizeof(name), "%s vf_token=%s", bdf, token);
	else
		snprintf(name, sizeof(name), "%s", bdf);
	return vfio_group_get_device_fd(group_fd, name);
}

/* A group of @bdf attached to a fresh container, without a device fd. */
struct attached {
	int container_fd;
	int group_fd;
};

/* With @container >= 0, the group joins that container (not owned by @a). */
static int attach_to(struct attached *a, const char *bdf, int container)
{
	int ret, group = pci_iommu_group(bdf);

	a->container_fd = a->group_fd = -1;
	if (group < 0)
		return group;
	if (container >= 0) {
		ret = vfio_group_open(group);
		if (ret < 0)
			return ret;
		a->group_fd = ret;
		ret = vfio_group_set_container(a->group_fd, container);
		if (ret < 0) {
			close(a->group_fd);
			a->group_fd = -1;
		}
		return ret;
	}
	ret = vfio_container_open();
	if (ret < 0)
		return ret;
	a->container_fd = ret;
	ret = vfio_group_open(group);
	if (ret < 0)
		goto err;
	a->group_fd = ret;
	ret = vfio_group_set_container(a->group_fd, a->container_fd);
	if (ret < 0)
		goto err;
	ret = vfio_container_set_iommu(a->container_fd, VFIO_TYPE1v2_IOMMU);
	if (ret < 0)
		goto err;
	return 0;
err:
	if (a->group_fd >= 0)
		close(a->group_fd);
	close(a->container_fd);
	a->container_fd = a->group_fd = -1;
	return ret;
}

static int attach(struct attached *a, const char *bdf)
{
	return attach_to(a, bdf, -1);
}

static void detach(struct attached *a)
{
	if (a->group_fd >= 0)
		close(a->group_fd);
	if (a->container_fd >= 0)
		close(a->container_fd);
	a->container_fd = a->group_fd = -1;
}

/* ---- Cases -------------------------------------------------------------- */

static void enable_sriov_param_0644(void)
{
	struct stat st;

	if (!EXPECT_OK(stat("/sys/module/vfio_pci/parameters/enable_sriov", &st) ? -errno : 0,
		       "stat of vfio_pci's enable_sriov parameter"))
		return;
	EXPECT_EQ_HEX(st.st_mode & 0777, 0644, "mode of enable_sriov");
	EXPECT_GE(module_param_read("vfio_pci", "enable_sriov", s.enable_sriov,
				    sizeof(s.enable_sriov)), 1, "reading enable_sriov");
	tap_diag("enable_sriov at load: %s", s.enable_sriov);
}

static void numvfs_refused_with_enable_sriov_off(void)
{
	char total[16];

	if (!EXPECT_OK(pci_sysfs_read(PF_BDF, "sriov_totalvfs", total, sizeof(total)),
		       "reading sriov_totalvfs"))
		return;
	EXPECT_EQ(atoi(total), NUM_VFS, "sriov_totalvfs");
	if (!EXPECT_OK(module_param_write("vfio_pci", "enable_sriov", "N"),
		       "writing enable_sriov=N"))
		return;
	EXPECT_ERRNO(pci_sysfs_write(PF_BDF, "sriov_numvfs", "2"), ENOENT,
		     "writing 2 to sriov_numvfs with enable_sriov off");
}

static void numvfs_creates_vfs_bound_to_vfio(void)
{
	int i, pf_group = pci_iommu_group(PF_BDF), group;
	char what[96];

	if (!EXPECT_OK(module_param_write("vfio_pci", "enable_sriov", "Y"),
		       "writing enable_sriov=Y"))
		return;
	/* The test binds the VFs itself, whatever driver is loaded. */
	EXPECT_OK(pci_sysfs_write(PF_BDF, "sriov_drivers_autoprobe", "0"),
		  "turning sriov_drivers_autoprobe off");
	if (!EXPECT_OK(pci_sysfs_write(PF_BDF, "sriov_numvfs", "2"),
		       "writing 2 to sriov_numvfs"))
		return;
	for (i = 0; i < NUM_VFS; i++) {
		snprintf(what, sizeof(what), "virtfn%d of the PF", i);
		if (!EXPECT_OK(vf_bdf(i, s.vf[i], sizeof(s.vf[i])), what))
			return;
		snprintf(what, sizeof(what), "binding VF %s to vfio-pci", s.vf[i]);
		if (!EXPECT_OK(pci_bind(s.vf[i], "vfio-pci"), what))
			return;
		group = pci_iommu_group(s.vf[i]);
		tap_diag("VF %s in group %d (PF %s in %d)", s.vf[i], group,
			 PF_BDF, pf_group);
		snprintf(what, sizeof(what), "group of VF %s", s.vf[i]);
		EXPECT_NE(group, pf_group, what);
		snprintf(what, sizeof(what), "/dev/vfio node of VF %s", s.vf[i]);
		EXPECT_OK(vfio_wait_group_node(group, true, 2000), what);
	}
	s.nr_vfs = NUM_VFS;
}

static void vf_token_set_on_pf(void)
{
	uint8_t short_token[8] = { 0 };

	if (!need_vfs())
		return;
	if (!EXPECT_OK(vfio_dev_open(&s.pf, PF_BDF), "opening the PF"))
		return;
	EXPECT_OK(vfio_device_feature(s.pf.fd, VFIO_DEVICE_FEATURE_PROBE |
				      VFIO_DEVICE_FEATURE_SET |
				      VFIO_DEVICE_FEATURE_PCI_VF_TOKEN, NULL, 0),
		  "PROBE|SET of PCI_VF_TOKEN on the PF");
	EXPECT_ERRNO(vfio_device_feature(s.pf.fd, VFIO_DEVICE_FEATURE_PROBE |
					 VFIO_DEVICE_FEATURE_GET |
					 VFIO_DEVICE_FEATURE_PCI_VF_TOKEN, NULL, 0),
		     EINVAL, "PROBE|GET of PCI_VF_TOKEN (set only)");
	EXPECT_ERRNO(vfio_device_feature(s.pf.fd, VFIO_DEVICE_FEATURE_SET |
					 VFIO_DEVICE_FEATURE_PCI_VF_TOKEN,
					 short_token, sizeof(short_token)),
		     EINVAL, "SET of PCI_VF_TOKEN with 8 bytes");
	s.token_set = EXPECT_OK(vfio_device_feature(s.pf.fd, VFIO_DEVICE_FEATURE_SET |
						    VFIO_DEVICE_FEATURE_PCI_VF_TOKEN,
						    (void *)token_bytes,
						    sizeof(token_bytes)),
				"SET of PCI_VF_TOKEN on the PF");
}

static void vf_needs_the_token_while_pf_open(void)
{
	struct attached vf;
	int fd;

	if (!need_vfs())
		return;
	if (!EXPECT_TRUE(s.pf.fd >= 0 && s.token_set, "the PF open with its token"))
		return;
	if (!EXPECT_OK(attach(&vf, s.vf[0]), "attaching the VF's group"))
		return;
	fd = get_fd(vf.group_fd, s.vf[0], NULL);
	EXPECT_ERRNO(fd, EACCES, "opening the VF without a token");
	if (fd >= 0)
		close(fd);
	fd = get_fd(vf.group_fd, s.vf[0], WRONG_TOKEN);
	EXPECT_ERRNO(fd, EACCES, "opening the VF with a wrong token");
	if (fd >= 0)
		close(fd);
	fd = get_fd(vf.group_fd, s.vf[0], "not-a-uuid");
	EXPECT_ERRNO(fd, EINVAL, "opening the VF with a malformed token");
	if (fd >= 0)
		close(fd);
	fd = get_fd(vf.group_fd, s.vf[0], TOKEN);
	if (!EXPECT_OK(fd, "opening the VF with the PF's token")) {
		detach(&vf);
		return;
	}
	/* Kept open for the next case. */
	s.vf_container_fd = vf.container_fd;
	s.vf_group_fd = vf.group_fd;
	s.vf_fd = fd;
}

static void close_vf(void)
{
	struct attached vf = {
		.container_fd = s.vf_container_fd,
		.group_fd = s.vf_group_fd,
	};

	if (s.vf_fd >= 0)
		close(s.vf_fd);
	detach(&vf);
	s.vf_fd = s.vf_group_fd = s.vf_container_fd = -1;
}

/* The PF itself, with VFs in use, is reopened only with the token. */
static void pf_needs_the_token_while_vf_open(void)
{
	struct attached pf;
	int fd;

	if (!need_vfs())
		return;
	vfio_dev_close(&s.pf);
	if (!EXPECT_TRUE(s.vf_fd >= 0, "the VF open (case before)"))
		return;
	if (!EXPECT_OK(attach(&pf, PF_BDF), "attaching the PF's group"))
		goto out_vf;
	fd = get_fd(pf.group_fd, PF_BDF, NULL);
	EXPECT_ERRNO(fd, EACCES, "opening the PF without a token while its VF is open");
	if (fd >= 0)
		close(fd);
	fd = get_fd(pf.group_fd, PF_BDF, WRONG_TOKEN);
	EXPECT_ERRNO(fd, EACCES, "opening the PF with a wrong token while its VF is open");
	if (fd >= 0)
		close(fd);
	fd = get_fd(pf.group_fd, PF_BDF, TOKEN);
	if (EXPECT_OK(fd, "opening the PF with the token while its VF is open"))
		close(fd);
	detach(&pf);
out_vf:
	close_vf();
}

static void token_refused_on_non_sriov_device(void)
{
	struct attached edu;
	int fd;

	if (!pci_function_exists(EDU_BDF)) {
		tap_case_skip("no %s", EDU_BDF);
		return;
	}
	if (!EXPECT_OK(attach(&edu, EDU_BDF), "attaching the edu's group"))
		return;
	fd = get_fd(edu.group_fd, EDU_BDF, TOKEN);
	EXPECT_ERRNO(fd, EINVAL, "a vf_token for a function that is no PF or VF");
	if (fd >= 0)
		close(fd);
	detach(&edu);
}

/*
 * The PF's bus reset reaches its VFs, which are in groups of their own:
 * the info lists all three with their groups; the reset is refused without
 * the VFs' groups, and (as the reference does) even with all of them.
 * Groups and a shared container are the subject, so the PF is opened
 * through its group whatever VFIO_TEST_CDEV says.
 */
static void pf_hot_reset_needs_every_group(void)
{
	struct vfio_pci_hot_reset_info *info;
	struct attached vf[NUM_VFS];
	int32_t fds[1 + NUM_VFS];
	struct vfio_dev pf;
	char got[PCI_BDF_LEN];
	uint32_t i;
	int v;

	if (!need_vfs())
		return;
	if (!EXPECT_OK(vfio_dev_open_group(&pf, PF_BDF), "opening the PF"))
		return;
	for (v = 0; v < NUM_VFS; v++)
		vf[v].container_fd = vf[v].group_fd = -1;
	if (!EXPECT_OK(vfio_hot_reset_info(pf.fd, &info),
		       "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO on the PF"))
		goto out;
	EXPECT_EQ(info->count, 1 + NUM_VFS, "affected devices: the PF and its VFs");
	for (i = 0; i < info->count; i++) {
		vfio_dependent_bdf(&info->devices[i], got, sizeof(got));
		tap_diag("hot-reset-info %s: %s group %u", PF_BDF, got,
			 info->devices[i].group_id);
		EXPECT_EQ(info->devices[i].group_id, pci_iommu_group(got),
			  "group id in the hot reset info");
	}
	free(info);

	fds[0] = pf.group_fd;
	EXPECT_ERRNO(vfio_hot_reset(pf.fd, fds, 1), EINVAL,
		     "hot reset with the PF's group only");
	for (v = 0; v < NUM_VFS; v++) {
		/* One container for all, as a VMM holding the three would do. */
		if (!EXPECT_OK(attach_to(&vf[v], s.vf[v], pf.container_fd),
			       "attaching a VF's group to the PF's container"))
			goto out;
		fds[1 + v] = vf[v].group_fd;
	}
	EXPECT_ERRNO(vfio_hot_reset(pf.fd, fds, NUM_VFS), EINVAL,
		     "hot reset with the PF's and one VF's group");
	/*
	 * Measured: the reference refuses this too, the three groups in one
	 * container or not.  Whatever the reason inside, a user can never
	 * bus-reset a PF under its VFs' feet.
	 */
	EXPECT_ERRNO(vfio_hot_reset(pf.fd, fds, 1 + NUM_VFS), EINVAL,
		     "hot reset with the PF's and every VF's group");
out:
	for (v = 0; v < NUM_VFS; v++)
		detach(&vf[v]);
	vfio_dev_close(&pf);
}

static void numvfs_0_removes_vfs(void)
{
	char path[128], what[96];
	int i;

	vfio_dev_close(&s.pf);
	close_vf();
	if (s.nr_vfs || pci_function_exists(PF_BDF)) {
		EXPECT_OK(pci_sysfs_write(PF_BDF, "sriov_numvfs", "0"),
			  "writing 0 to sriov_numvfs");
		for (i = 0; i < s.nr_vfs; i++) {
			snprintf(what, sizeof(what), "VF %s gone", s.vf[i]);
			snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", s.vf[i]);
			EXPECT_TRUE(access(path, F_OK), what);
		}
	}
	EXPECT_OK(pci_sysfs_write(PF_BDF, "sriov_drivers_autoprobe", "1"),
		  "turning sriov_drivers_autoprobe back on");
	if (s.enable_sriov[0])
		EXPECT_OK(module_param_write("vfio_pci", "enable_sriov", s.enable_sriov),
			  "restoring enable_sriov");
}

static const struct {
	const char *name;
	void (*run)(void);
} cases[] = {
	{ "enable_sriov_parameter_is_0644", enable_sriov_param_0644 },
	{ "sriov_numvfs_with_enable_sriov_off_gives_enoent", numvfs_refused_with_enable_sriov_off },
	{ "sriov_numvfs_2_creates_vfs_in_own_groups", numvfs_creates_vfs_bound_to_vfio },
	{ "vf_token_feature_probe_and_set_on_pf", vf_token_set_on_pf },
	{ "vf_open_needs_token_while_pf_open_eacces", vf_needs_the_token_while_pf_open },
	{ "pf_open_needs_token_while_vf_open_eacces", pf_needs_the_token_while_vf_open },
	{ "vf_token_for_non_sriov_function_gives_einval", token_refused_on_non_sriov_device },
	{ "pf_hot_reset_with_vfs_lists_them_and_is_refused", pf_hot_reset_needs_every_group },
	{ "sriov_numvfs_0_removes_vfs", numvfs_0_removes_vfs },
};

int main(void)
{
	const char *want = getenv("VFIO_TEST_DEVICE");
	char driver[64];
	size_t c;

	if (want && *want && !strstr(PF_BDF, want))
		tap_skip_all("VFIO_TEST_DEVICE=%s: this program tests %s only", want, PF_BDF);
	if (!pci_function_exists(PF_BDF))
		tap_skip_all("no SR-IOV PF at %s (zoo)", PF_BDF);
	if (pci_driver_name(PF_BDF, driver, sizeof(driver)) < 0 ||
	    strcmp(driver, "vfio-pci"))
		tap_skip_all("%s is not bound to vfio-pci", PF_BDF);
	tap_plan(ARRAY_SIZE(cases));
	tap_diag("driver under test: %s", vfio_test_driver_name());
	for (c = 0; c < ARRAY_SIZE(cases); c++) {
		tap_case_begin("%s %s", cases[c].name, PF_BDF);
		cases[c].run();
		tap_case_end();
	}
	tap_finish();
}
