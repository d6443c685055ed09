/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/vduse message loop without a kernel: the test plays VDUSE's side of
 * /dev/vduse/NAME over a SOCK_SEQPACKET pair (one request per read, like the
 * char device) and checks every answer.  The VM test covers the ioctls.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/virtio_config.h>

#include "check.h"
#include "vduse_internal.h"

struct model {
	int status_calls;
	uint8_t old, status;
	int refuse;              /* set_status returns this */
	int inval_calls;
	uint64_t inval_start, inval_last;
	uint16_t avail[2];
	int avail_calls;
	struct vdn_vduse_vq_packed packed[2];
	int packed_calls;
};

static int m_status(void *opaque, uint8_t old, uint8_t status)
{
	struct model *m = opaque;

	m->status_calls++;
	m->old = old;
	m->status = status;
	return m->refuse;
}

static void m_inval(void *opaque, uint64_t start, uint64_t last)
{
	struct model *m = opaque;

	m->inval_calls++;
	m->inval_start = start;
	m->inval_last = last;
}

static uint16_t m_avail(void *opaque, uint32_t index)
{
	struct model *m = opaque;

	m->avail_calls++;
	return m->avail[index];
}

static void m_packed(void *opaque, uint32_t index, struct vdn_vduse_vq_packed *st)
{
	struct model *m = opaque;

	m->packed_calls++;
	*st = m->packed[index];
}

static const struct vdn_vduse_ops full_ops = {
	.set_status = m_status,
	.iotlb_invalidate = m_inval,
	.get_vq_avail_idx = m_avail,
	.get_vq_state_packed = m_packed,
};

struct rig {
	struct vdn_vduse_dev *dev;
	int kfd;                 /* the "kernel" end */
	struct model m;
	uint32_t next_id;
};

static void rig_up(struct rig *r, const struct vdn_vduse_ops *ops)
{
	int sv[2];

	memset(r, 0, sizeof(*r));
	r->next_id = 100;
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	struct vdn_vduse_opts o = {
		.sz = sizeof(o), .name = "unit", .num_vqs = 2, .max_vq_size = 256,
		.ops = ops, .opaque = &r->m,
	};
	CHECK_EQ(vdn_vduse_wrap_fd(&o, sv[0], &r->dev), 0);
	r->kfd = sv[1];
}

static void rig_down(struct rig *r)
{
	CHECK_EQ(vdn_vduse_destroy(r->dev, true), 0);
	close(r->kfd);
}

static uint32_t send_req(struct rig *r, struct vduse_dev_request *req)
{
	req->request_id = r->next_id++;
	CHECK_EQ(write(r->kfd, req, sizeof(*req)), sizeof(*req));
	return req->request_id;
}

static void recv_resp(struct rig *r, uint32_t id, uint32_t result, struct vduse_dev_response *out)
{
	struct vduse_dev_response resp;

	CHECK_EQ(read(r->kfd, &resp, sizeof(resp)), sizeof(resp));
	CHECK_EQ(resp.request_id, id);
	CHECK_EQ(resp.result, result);
	for (size_t i = 0; i < 4; i++)
		CHECK_EQ(resp.reserved[i], 0); /* the kernel rejects anything else */
	if (out)
		*out = resp;
}

/* One request, one handle() call, one answer. */
static void roundtrip(struct rig *r, struct vduse_dev_request *req, uint32_t result,
		      struct vduse_dev_response *out)
{
	uint32_t id = send_req(r, req);

	CHECK_EQ(vdn_vduse_handle(r->dev), 1);
	recv_resp(r, id, result, out);
}

static void test_status_sequence(void)
{
	struct rig r;
	static const uint8_t seq[] = { 0x1, 0x3, 0xb, 0xf };

	rig_up(&r, &full_ops);
	uint8_t prev = 0;
	for (size_t i = 0; i < sizeof(seq); i++) {
		struct vduse_dev_request req = { .type = VDUSE_SET_STATUS, .s.status = seq[i] };
		roundtrip(&r, &req, VDUSE_REQ_RESULT_OK, NULL);
		CHECK_EQ(r.m.old, prev);
		CHECK_EQ(r.m.status, seq[i]);
		CHECK_EQ(vdn_vduse_status(r.dev), seq[i]);
		prev = seq[i];
	}
	CHECK_EQ(r.m.status_calls, 4);

	/* a refused status is failed to the kernel and not recorded */
	r.m.refuse = -EIO;
	struct vduse_dev_request req = { .type = VDUSE_SET_STATUS, .s.status = 0x4f };
	roundtrip(&r, &req, VDUSE_REQ_RESULT_FAILED, NULL);
	CHECK_EQ(vdn_vduse_status(r.dev), 0xf);

	/* reset always happens: the kernel resets whatever we answer */
	req.s.status = 0;
	roundtrip(&r, &req, VDUSE_REQ_RESULT_FAILED, NULL);
	CHECK_EQ(r.m.old, 0xf);
	CHECK_EQ(vdn_vduse_status(r.dev), 0);
	r.m.refuse = 0;
	roundtrip(&r, &req, VDUSE_REQ_RESULT_OK, NULL);
	CHECK_EQ(vdn_vduse_status(r.dev), 0);
	rig_down(&r);
}

static void test_vq_state(void)
{
	struct rig r;
	struct vduse_dev_response resp;

	rig_up(&r, &full_ops);
	r.m.avail[1] = 0xbeef;
	struct vduse_dev_request req = { .type = VDUSE_GET_VQ_STATE, .vq_state.index = 1 };
	roundtrip(&r, &req, VDUSE_REQ_RESULT_OK, &resp);
	CHECK_EQ(resp.vq_state.index, 1);
	CHECK_EQ(resp.vq_state.split.avail_index, 0xbeef);
	req.vq_state.index = 2; /* only 2 vqs */
	roundtrip(&r, &req, VDUSE_REQ_RESULT_FAILED, NULL);
	rig_down(&r);

	/* without a hook: what VQ_GET_INFO said last (nothing yet: 0) */
	rig_up(&r, NULL);
	req.vq_state.index = 0;
	roundtrip(&r, &req, VDUSE_REQ_RESULT_OK, &resp);
	CHECK_EQ(resp.vq_state.split.avail_index, 0);
	rig_down(&r);
}

/* Once RING_PACKED is negotiated the kernel reads the packed half of the
 * answer's union: positions and wrap counters from the packed hook. */
static void test_vq_state_packed(void)
{
	struct rig r;
	struct vduse_dev_response resp;

	rig_up(&r, &full_ops);
	/* as VDUSE_DEV_GET_FEATURES would have reported at FEATURES_OK */
	atomic_store(&r.dev->driver_features, 1ULL << VIRTIO_F_RING_PACKED);
	r.m.avail[1] = 0xbeef;
	r.m.packed[1] = (struct vdn_vduse_vq_packed){
		.last_avail_idx = 0x1234, .avail_wrap = false, .last_used_idx = 0x1230, .used_wrap = true,
	};
	struct vduse_dev_request req = { .type = VDUSE_GET_VQ_STATE, .vq_state.index = 1 };
	roundtrip(&r, &req, VDUSE_REQ_RESULT_OK, &resp);
	CHECK_EQ(resp.vq_state.index, 1);
	CHECK_EQ(resp.vq_state.packed.last_avail_idx, 0x1234);
	CHECK_EQ(resp.vq_state.packed.last_avail_counter, 0);
	CHECK_EQ(resp.vq_state.packed.last_used_idx, 0x1230);
	CHECK_EQ(resp.vq_state.packed.last_used_counter, 1);
	CHECK_EQ(r.m.packed_calls, 1);
	CHECK_EQ(r.m.avail_calls, 0);
	req.vq_state.index = 2;
	roundtrip(&r, &req, VDUSE_REQ_RESULT_FAILED, NULL);
	CHECK_EQ(r.m.packed_calls, 1);

	/* a reset forgets the features: split again */
	struct vduse_dev_request st = { .type = VDUSE_SET_STATUS, .s.status = 0 };
	roundtrip(&r, &st, VDUSE_REQ_RESULT_OK, NULL);
	req.vq_state.index = 1;
	roundtrip(&r, &req, VDUSE_REQ_RESULT_OK, &resp);
	CHECK_EQ(resp.vq_state.split.avail_index, 0xbeef);
	CHECK_EQ(r.m.packed_calls, 1);
	CHECK_EQ(r.m.avail_calls, 1);
	rig_down(&r);

	/* without the hook: what VQ_GET_INFO said last (nothing yet: zeros) */
	rig_up(&r, NULL);
	atomic_store(&r.dev->driver_features, 1ULL << VIRTIO_F_RING_PACKED);
	r.dev->vqs[0].packed = (struct vdn_vduse_vq_packed){ 7, true, 5, true };
	req.vq_state.index = 0;
	roundtrip(&r, &req, VDUSE_REQ_RESULT_OK, &resp);
	CHECK_EQ(resp.vq_state.packed.last_avail_idx, 7);
	CHECK_EQ(resp.vq_state.packed.last_avail_counter, 1);
	CHECK_EQ(resp.vq_state.packed.last_used_idx, 5);
	CHECK_EQ(resp.vq_state.packed.last_used_counter, 1);
	rig_down(&r);
}

static void test_iotlb_update(void)
{
	struct rig r;

	rig_up(&r, &full_ops);
	struct vduse_dev_request req = {
		.type = VDUSE_UPDATE_IOTLB, .iova = { .start = 0x1000, .last = 0x1fff },
	};
	roundtrip(&r, &req, VDUSE_REQ_RESULT_OK, NULL);
	CHECK_EQ(r.m.inval_calls, 1);
	CHECK_EQ(r.m.inval_start, 0x1000);
	CHECK_EQ(r.m.inval_last, 0x1fff);
	rig_down(&r);
}

static void test_unknown_and_batch(void)
{
	struct rig r;

	rig_up(&r, &full_ops);
	CHECK_EQ(vdn_vduse_handle(r.dev), 0); /* nothing pending */

	struct vduse_dev_request a = { .type = 77 };
	struct vduse_dev_request b = { .type = VDUSE_SET_STATUS, .s.status = 1 };
	struct vduse_dev_request c = { .type = VDUSE_GET_VQ_STATE, .vq_state.index = 0 };
	uint32_t ia = send_req(&r, &a), ib = send_req(&r, &b), ic = send_req(&r, &c);
	CHECK_EQ(vdn_vduse_handle(r.dev), 3); /* all pending in one call */
	recv_resp(&r, ia, VDUSE_REQ_RESULT_FAILED, NULL);
	recv_resp(&r, ib, VDUSE_REQ_RESULT_OK, NULL);
	recv_resp(&r, ic, VDUSE_REQ_RESULT_OK, NULL);

	/* the char device going away is an error, not "idle" */
	close(r.kfd);
	r.kfd = -1;
	CHECK(vdn_vduse_handle(r.dev) < 0);
	CHECK_EQ(vdn_vduse_destroy(r.dev, true), 0);
}

static void test_args(void)
{
	struct rig r;
	struct vdn_vduse_vq_info vi;
	uint64_t len = 16;

	rig_up(&r, NULL);
	CHECK_EQ(vdn_vduse_vq_info(r.dev, 2, &vi), -EINVAL);
	CHECK_EQ(vdn_vduse_vq_kickfd(r.dev, 2), -EINVAL);
	CHECK_EQ(vdn_vduse_vq_irq(r.dev, 7), -EINVAL);
	CHECK_EQ(vdn_vduse_set_config(r.dev, 0, &len, 0, false), -EINVAL);
	CHECK_EQ(vdn_vduse_iotlb_prefault(r.dev, 2, 1), -EINVAL);
	/* a miss asks the "kernel", which has no mapping: NULL, not a crash */
	CHECK(vdn_vduse_xlate(r.dev, 0x1000, &len, 1) == NULL);
	CHECK(!strcmp(vdn_vduse_name(r.dev), "unit"));
	rig_down(&r);

	struct vdn_vduse_dev *d;
	struct vdn_vduse_opts o = { .sz = sizeof(o), .name = "a/b", .num_vqs = 2, .max_vq_size = 8 };
	CHECK_EQ(vdn_vduse_create(&o, &d), -EINVAL);
	o.name = "ok";
	o.num_vqs = 0;
	CHECK_EQ(vdn_vduse_create(&o, &d), -EINVAL);
	o.num_vqs = 2;
	o.config_size = 4; /* without a buffer */
	CHECK_EQ(vdn_vduse_attach(&o, &d), -EINVAL);
	o.config_size = 0;
	o.sz = 4;
	CHECK_EQ(vdn_vduse_create(&o, &d), -EINVAL);
}

int main(void)
{
	RUN(test_status_sequence);
	RUN(test_vq_state);
	RUN(test_vq_state_packed);
	RUN(test_iotlb_update);
	RUN(test_unknown_and_batch);
	RUN(test_args);
	return check_report();
}
