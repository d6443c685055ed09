/* SPDX-License-Identifier: BSD-3-Clause */
/* vdnet: serve vduse-net devices from DPDK lcores.
 *   vdnet [EAL options] -- --device name=NAME,port=PORT[,...] [--stats-period SEC] */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "vdnet.h"

int vdnet_logtype;
static struct vdnet V;
static _Thread_local char last_err[256];

void vdnet_log(uint32_t level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	/* continuation lines (lists under an error) start with a blank */
	if (level <= RTE_LOG_ERR) {
		char msg[sizeof(last_err)];
		const char *m = msg;

		vsnprintf(msg, sizeof(msg), fmt, ap);
		if (!strncmp(m, "vdnet: ", 7))
			m += 7;
		if (*m != ' ') {
			snprintf(last_err, sizeof(last_err), "%s", m);
			last_err[strcspn(last_err, "\n")] = '\0';
		}
		va_end(ap);
		va_start(ap, fmt);
	}
	rte_vlog(level, vdnet_logtype, fmt, ap);
	va_end(ap);
}

const char *vdnet_log_last_error(void)
{
	return last_err;
}

void vdnet_log_clear_error(void)
{
	last_err[0] = '\0';
}

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&V.quit, true);
}

/* lcores= of the --devices seen so far, for the probe below */
struct map_seen {
	const struct vdnet_conf *c;
	unsigned int upto; /* devices before this one */
};

/* Start-up: nothing serves yet, but an earlier --device may map the lcore. */
static enum vdnet_lcore_role startup_probe(void *opaque, unsigned int lc, char *who,
					   size_t wholen)
{
	const struct map_seen *ms = opaque;

	if (lc >= RTE_MAX_LCORE || !rte_lcore_is_enabled(lc))
		return VDNET_LCORE_OFF;
	if (lc == rte_get_main_lcore())
		return VDNET_LCORE_MAIN;
	for (unsigned int i = 0; i < ms->upto; i++)
		for (uint16_t q = 0; q < ms->c->dev[i].lcores.n; q++)
			if (ms->c->dev[i].lcores.lcore[q] == lc) {
				snprintf(who, wholen, "device %s queue pair %u (its lcores=)",
					 ms->c->dev[i].name, q);
				return VDNET_LCORE_BUSY;
			}
	return VDNET_LCORE_FREE;
}

static int check_lcores(const struct vdnet_conf *c)
{
	unsigned int need = 0, mapped = 0, have = rte_lcore_count() - 1;
	char why[256];

	for (unsigned int i = 0; i < c->n_dev; i++) {
		const struct vdnet_dev_conf *d = &c->dev[i];
		struct map_seen ms = { c, i };

		if (!d->lcores.n) {
			need += d->queues ? d->queues : 1;
			continue;
		}
		if (vdnet_lcores_check(&d->lcores, d->lcores.n, startup_probe, &ms, why,
				       sizeof(why))) {
			fprintf(stderr, "vdnet: --device %s: %s\n", d->name, why);
			return -EINVAL;
		}
		mapped += d->lcores.n;
	}
	/* the devices without lcores= take the workers no map names */
	if (need > have - mapped) {
		if (mapped)
			fprintf(stderr, "vdnet: not enough lcores: %u queue pair(s) without lcores= "
				"need %u worker lcore(s) no lcores= names; EAL gave %u besides the "
				"main one, lcores= takes %u (e.g. -l 0-%u)\n", need, need, have,
				mapped, need + mapped);
		else
			fprintf(stderr, "vdnet: not enough lcores: %u queue pair(s) need %u worker "
				"lcore(s) besides the main one, EAL gave %u (e.g. -l 0-%u)\n", need,
				need, have, need);
		return -EINVAL;
	}
	return 0;
}

static void run(struct vdnet *v, bool console)
{
	uint64_t hz = rte_get_timer_hz(), last = rte_get_timer_cycles();
	struct timespec tick = { 0, 100 * 1000000L };

	while (!atomic_load(&v->quit)) {
		if (!console) {
			nanosleep(&tick, NULL);
		} else if (vdnet_console_poll(100) < 0) {
			printf("\nvdnet: console closed\n");
			atomic_store(&v->quit, true);
			break;
		}
		/* devices come and go under the command lock */
		vdnet_cmd_lock();
		vdnet_stats_tick(v);
		uint64_t now = rte_get_timer_cycles();

		if (v->conf.stats_period && now - last >= v->conf.stats_period * hz) {
			vdnet_stats_print(stdout, v, NULL);
			last = now;
		}
		vdnet_cmd_unlock();
	}
}

int main(int argc, char **argv)
{
	unsigned int up = 0;
	int rc, n;

	/* these need no EAL: the client only talks to a running daemon */
	if (argc == 2 && !strcmp(argv[1], "--list-commands")) {
		vdnet_cmd_list(stdout);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--help")) {
		vdnet_usage(argv[0]);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "--connect")) {
		if (argc < 4) {
			fprintf(stderr, "usage: %s --connect PATH COMMAND...\n", argv[0]);
			return 2;
		}
		return vdnet_connect(argv[2], argc - 3, argv + 3);
	}
	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "vdnet: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	vdnet_logtype = rte_log_register_type_and_pick_level("vdnet", RTE_LOG_INFO);
	if (vdnet_logtype < 0)
		vdnet_logtype = RTE_LOGTYPE_USER1;
	argv[n] = argv[0];
	rc = vdnet_parse_args(argc - n, argv + n, &V.conf);
	if (rc)
		goto out_eal;
	rc = check_lcores(&V.conf);
	if (rc)
		goto out_eal;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rc = vdnet_ctrl_start(&V);
	if (rc) {
		fprintf(stderr, "vdnet: cannot start the control thread: %s\n", strerror(-rc));
		goto out_eal;
	}
	for (unsigned int i = 0; i < V.conf.n_dev && !atomic_load(&V.quit); i++) {
		V.dev[i].conf = V.conf.dev[i];
		V.n_dev = i + 1;
		if (vdnet_device_up(&V, &V.dev[i]) == 0)
			up++;
	}
	if (!up) {
		fprintf(stderr, "vdnet: no device could be set up; exiting\n");
		rc = 1;
		goto out_ctrl;
	}
	if (V.conf.socket_path[0]) {
		rc = vdnet_sock_start(&V, V.conf.socket_path);
		if (rc)
			fprintf(stderr, "vdnet: --socket %s: %s; continuing without it\n",
				V.conf.socket_path, strerror(-rc));
	}
	rc = vdnet_telemetry_init(&V);
	if (rc)
		LOG(WARNING, "telemetry endpoints /vdnet/*: %s; continuing without them\n",
		    strerror(-rc));
	vdnet_cmd_lock(); /* the socket may be adding a device already */
	rc = vdnet_fwd_start(&V);
	vdnet_cmd_unlock();
	if (rc) {
		fprintf(stderr, "vdnet: cannot launch datapath lcores: %s\n", strerror(-rc));
		atomic_store(&V.quit, true);
	} else {
		bool console = false;

		printf("vdnet: ready: %u of %u device(s) serving\n", up, V.conf.n_dev);
		fflush(stdout);
		if (V.conf.cmdfile[0]) {
			rc = vdnet_cmdfile_run(&V, V.conf.cmdfile);
			if (rc) {
				fprintf(stderr, "vdnet: --cmdfile %s: %s\n", V.conf.cmdfile,
					strerror(-rc));
				atomic_store(&V.quit, true);
			}
		}
		if (V.conf.interactive && !atomic_load(&V.quit)) {
			rc = vdnet_console_open(&V);
			if (rc) {
				fprintf(stderr, "vdnet: cannot open the console: %s\n", strerror(-rc));
				atomic_store(&V.quit, true);
			}
			console = !rc;
		}
		run(&V, console);
		vdnet_console_close();
		printf("vdnet: shutting down\n");
	}
	vdnet_sock_stop();
	vdnet_fwd_stop(&V);
	/* telemetry keeps answering: it must not see a device half torn down */
	vdnet_cmd_lock();
	for (unsigned int i = 0; i < V.n_dev; i++)
		vdnet_device_down(&V, &V.dev[i]);
	vdnet_cmd_unlock();
	rc = rc ? 1 : (up == V.conf.n_dev ? 0 : 1);
out_ctrl:
	vdnet_ctrl_stop();
	if (V.nl)
		vdn_vdpa_close(V.nl);
out_eal:
	rte_eal_cleanup();
	return rc < 0 ? 1 : rc;
}
