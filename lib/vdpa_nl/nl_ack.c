/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One request, one ack: the netlink exchange every call of this library
 * makes, keeping the kernel's errno intact.
 */
#include <errno.h>

#include <netlink/errno.h>
#include <netlink/netlink.h>

#include "vdpa_internal.h"

struct exchange {
	nl_recvmsg_msg_cb_t on_reply;
	void *arg;
	int err;  /* kernel's -errno, 0 if it acked */
	int done;
};

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct exchange *x = arg;

	(void)who;
	x->err = e->error < 0 ? e->error : -EPROTO;
	x->done = 1;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct exchange *x = arg;

	(void)msg;
	x->done = 1;
	return NL_STOP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct exchange *x = arg;

	return x->on_reply ? x->on_reply(msg, x->arg) : NL_OK;
}

int vdn_vdpa_nl_transact(struct nl_sock *sk, struct nl_msg *msg,
			 nl_recvmsg_msg_cb_t on_reply, void *arg)
{
	struct exchange x = { .on_reply = on_reply, .arg = arg };
	struct nl_cb *base = nl_socket_get_cb(sk);
	struct nl_cb *cb = nl_cb_clone(base);
	int rc;

	nl_cb_put(base);
	if (!cb)
		return -ENOMEM;
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &x);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &x);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &x);

	/* nl_send_auto asks for an ack (libnl's auto-ack is on by default) */
	rc = nl_send_auto(sk, msg);
	if (rc < 0) {
		nl_cb_put(cb);
		return vdn_vdpa_nle_errno(rc);
	}
	rc = 0;
	while (!x.done) {
		int r = nl_recvmsgs(sk, cb);

		if (x.err)
			break;
		if (r < 0) {
			rc = vdn_vdpa_nle_errno(r);
			break;
		}
	}
	nl_cb_put(cb);
	return x.err ? x.err : rc;
}

int vdn_vdpa_nle_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case NLE_SUCCESS: return 0;
	case NLE_INTR: return -EINTR;
	case NLE_BAD_SOCK: return -EBADF;
	case NLE_AGAIN: return -EAGAIN;
	case NLE_NOMEM: return -ENOMEM;
	case NLE_EXIST: return -EEXIST;
	case NLE_INVAL: return -EINVAL;
	case NLE_RANGE: return -ERANGE;
	case NLE_MSGSIZE: return -EMSGSIZE;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT: return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_BUSY: return -EBUSY;
	case NLE_NOACCESS: return -EACCES;
	case NLE_PERM: return -EPERM;
	case NLE_NODEV: return -ENODEV;
	case NLE_SEQ_MISMATCH:
	case NLE_MSG_OVERFLOW:
	case NLE_MSG_TRUNC:
	case NLE_MSG_TOOSHORT:
	case NLE_PROTO_MISMATCH:
	case NLE_PARSE_ERR:
		return -EPROTO;
	default: return -EIO;
	}
}
