// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_compare: joins vfio_bench's CSV files of the two lanes into one
 * table, on the host.
 *
 * Usage: bench_compare OURS.csv REFERENCE.csv [OUT.csv]
 *
 * Prints per path: unit, our median, the reference's median, the ratio, and
 * both spreads as min..max.  The ratio is "higher is better for us": ours/ref
 * for a throughput (a unit ending in "/s", or "IOPS"), ref/ours for a time or
 * a count.  OUT.csv gets the same, machine-readable:
 * path,unit,ours_median,ours_min,ours_max,ours_reps,ref_median,ref_min,
 * ref_max,ref_reps,ratio (ratio empty when a side is missing).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROWS	64

struct row {
	char path[64];
	char unit[16];
	double med, min, max;
	int reps;
};

struct table {
	struct row rows[MAX_ROWS];
	int n;
};

static int load(const char *file, struct table *t)
{
	char line[256];
	FILE *f = fopen(file, "r");

	t->n = 0;
	if (!f) {
		perror(file);
		return -1;
	}
	while (fgets(line, sizeof(line), f) && t->n < MAX_ROWS) {
		struct row *r = &t->rows[t->n];

		if (sscanf(line, "%63[^,],%15[^,],%lf,%lf,%lf,%d", r->path,
			   r->unit, &r->med, &r->min, &r->max, &r->reps) == 6)
			t->n++;
	}
	fclose(f);
	return 0;
}

static const struct row *find(const struct table *t, const char *path)
{
	int i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->rows[i].path, path))
			return &t->rows[i];
	return NULL;
}

static bool higher_better(const char *unit)
{
	size_t n = strlen(unit);

	return !strcmp(unit, "IOPS") || (n >= 2 && !strcmp(unit + n - 2, "/s"));
}

static void one(FILE *csv, const char *path, const char *unit,
		const struct row *o, const struct row *r)
{
	char ospread[48] = "-", rspread[48] = "-", omed[24] = "-", rmed[24] = "-";
	char ratio[24] = "-";

	if (o) {
		snprintf(omed, sizeof(omed), "%.4g", o->med);
		snprintf(ospread, sizeof(ospread), "%.4g..%.4g", o->min, o->max);
	}
	if (r) {
		snprintf(rmed, sizeof(rmed), "%.4g", r->med);
		snprintf(rspread, sizeof(rspread), "%.4g..%.4g", r->min, r->max);
	}
	if (o && r && o->med > 0 && r->med > 0)
		snprintf(ratio, sizeof(ratio), "%.3f",
			 higher_better(unit) ? o->med / r->med : r->med / o->med);
	printf("%-24s %-7s %11s %11s %7s   %-21s %-21s\n", path, unit, omed, rmed,
	       ratio, ospread, rspread);
	if (!csv)
		return;
	fprintf(csv, "%s,%s,", path, unit);
	if (o)
		fprintf(csv, "%g,%g,%g,%d,", o->med, o->min, o->max, o->reps);
	else
		fprintf(csv, ",,,,");
	if (r)
		fprintf(csv, "%g,%g,%g,%d,", r->med, r->min, r->max, r->reps);
	else
		fprintf(csv, ",,,,");
	fprintf(csv, "%s\n", strcmp(ratio, "-") ? ratio : "");
}

int main(int argc, char **argv)
{
	static struct table ours, ref;
	FILE *csv = NULL;
	int i;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: %s OURS.csv REFERENCE.csv [OUT.csv]\n", argv[0]);
		return 2;
	}
	if (load(argv[1], &ours) || load(argv[2], &ref))
		return 1;
	if (argc == 4) {
		csv = fopen(argv[3], "w");
		if (!csv) {
			perror(argv[3]);
			return 1;
		}
		fprintf(csv, "path,unit,ours_median,ours_min,ours_max,ours_reps,"
			"ref_median,ref_min,ref_max,ref_reps,ratio\n");
	}
	printf("%-24s %-7s %11s %11s %7s   %-21s %-21s\n", "path", "unit", "ours",
	       "reference", "ratio", "ours min..max", "reference min..max");
	/* Our order first, then what only the reference has. */
	for (i = 0; i < ours.n; i++)
		one(csv, ours.rows[i].path, ours.rows[i].unit, &ours.rows[i],
		    find(&ref, ours.rows[i].path));
	for (i = 0; i < ref.n; i++)
		if (!find(&ours, ref.rows[i].path))
			one(csv, ref.rows[i].path, ref.rows[i].unit, NULL, &ref.rows[i]);
	printf("ratio: higher is better for ours (ours/ref for throughput, ref/ours for time)\n");
	if (csv)
		fclose(csv);
	return 0;
}
