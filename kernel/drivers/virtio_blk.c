/*
 * virtio-blk: disks on the virtio PCI transport, one split virtqueue each.
 *
 * A request is a chain of descriptors: a 16-byte header the device reads
 * (type, sector), one descriptor per piece of data, and a status byte the
 * device writes. The head descriptor's index names the request: its header
 * and status byte live at hdr[head] and status[head], and owner[head] is
 * the blk_request. Free descriptors form a list through their next fields.
 * The device's MSI-X interrupt walks the used ring, frees the chains and
 * completes the requests; submitters short of descriptors sleep until an
 * interrupt frees some.
 *
 * Lock: vb->lock protects the rings, the free list, owner[] and the list
 * of sleepers; it is never held while sleeping or completing a request.
 */
#include "drivers/virtio_blk.h"
#include "drivers/blkdev.h"
#include "drivers/console.h"
#include "drivers/virtio_pci.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/time.h"
#include "arch/x86_64/trap.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/pmm.h"
#include "sched/sched.h"
#include "sched/spinlock.h"

#define VIRTIO_BLK_MODERN 0x1042
#define VIRTIO_BLK_TRANSITIONAL 0x1001

/* Feature bits (virtio 1.0, 5.2.3). */
#define F_SIZE_MAX (1ull << 1)
#define F_SEG_MAX (1ull << 2)
#define F_RO (1ull << 5)
#define F_FLUSH (1ull << 9)

/* Request types and status (5.2.6). */
#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define S_OK 0

/* Device configuration offsets (struct virtio_blk_config). */
#define CFG_CAPACITY 0
#define CFG_SIZE_MAX 8
#define CFG_SEG_MAX 12

/* MSI-X vectors T_VIRTIO_BLK + n, one per disk (arch/x86_64/trap.h). */
#define MAX_DISKS 16

#define QUEUE_MAX 128     /* ring entries we use, at most */

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
#define DESC_NEXT 1
#define DESC_WRITE 2      /* the device writes this buffer */

struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[];
};

struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct {
        uint32_t id, len;
    } ring[];
};
#define USED_NO_NOTIFY 1
#define AVAIL_NO_INTERRUPT 1 /* the driver asks for no interrupts */

struct blk_header {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

/* A submitter waiting for free descriptors (on its own stack). */
struct room_waiter {
    volatile int woken;
    struct task *task;
    struct room_waiter *next;
};

struct vblk {
    struct blkdev dev;
    struct virtio_pci vp;
    struct spinlock lock;
    uint16_t qsize;
    uint32_t seg_max;             /* data descriptors per request */
    uint32_t size_max;            /* bytes per data descriptor */
    volatile struct virtq_desc *desc;
    volatile struct virtq_avail *avail;
    volatile struct virtq_used *used;
    volatile uint16_t *notify;
    struct blk_header *hdr;       /* hdr[head] */
    volatile uint8_t *status;     /* status[head] */
    paddr_t hdr_pa, status_pa;
    struct blk_request *owner[QUEUE_MAX];
    uint16_t free_head, nfree;
    uint16_t avail_idx;           /* our copy of avail->idx */
    uint16_t last_used;           /* used entries consumed so far */
    struct room_waiter *waiters;
};

static struct vblk *disks[MAX_DISKS];
static int ndisks;

/* Descriptors r needs: header, data (split at size_max), status. */
static uint32_t descs_needed(struct vblk *vb, struct blk_request *r, uint32_t *data)
{
    uint32_t n = 0;
    for (int i = 0; i < r->nseg; i++)
        n += vb->size_max ? (r->seg[i].len + vb->size_max - 1) / vb->size_max : 1;
    *data = n;
    return n + 2;
}

static uint16_t alloc_desc(struct vblk *vb)
{
    uint16_t i = vb->free_head;
    vb->free_head = vb->desc[i].next;
    vb->nfree--;
    return i;
}

/* Give back the chain starting at head (at most qsize links, whatever the device did). */
static void free_chain(struct vblk *vb, uint16_t head)
{
    uint16_t i = head;
    for (int n = 0; n < vb->qsize; n++) {
        uint16_t flags = vb->desc[i].flags, next = vb->desc[i].next;
        vb->desc[i].next = vb->free_head;
        vb->free_head = i;
        vb->nfree++;
        if (!(flags & DESC_NEXT) || next >= vb->qsize)
            break;
        i = next;
    }
}

/* Link descriptor i to the next one we will take; returns that one's index. */
static uint16_t put_desc(struct vblk *vb, uint16_t i, paddr_t pa, uint32_t len, uint16_t flags)
{
    vb->desc[i].addr = pa;
    vb->desc[i].len = len;
    if (flags & DESC_NEXT) {
        uint16_t next = alloc_desc(vb);
        vb->desc[i].next = next;
        vb->desc[i].flags = flags;
        return next;
    }
    vb->desc[i].flags = flags;
    return 0;
}

static void vblk_poll(struct blkdev *d);

/* Sleep until an interrupt frees descriptors; vb->lock held, and held again on return. */
static void wait_for_room(struct vblk *vb)
{
    struct room_waiter w = {0, current_task(), vb->waiters};
    vb->waiters = &w;
    spin_unlock(&vb->lock);
    if (sleep_on_flag_until(&w.woken, "disk queue", time_ns() + BLK_STALL_NS) == -ETIMEDOUT) {
        __atomic_fetch_add(&vb->dev.stats.stalls, 1, __ATOMIC_RELAXED);
        vblk_poll(&vb->dev); /* completions whose interrupt went missing free room too */
    }
    spin_lock(&vb->lock);
    for (struct room_waiter **pp = &vb->waiters; *pp; pp = &(*pp)->next) {
        if (*pp == &w) { /* still queued: no waker has w, so it may go */
            *pp = w.next;
            return;
        }
    }
    /* A drain took w off the list; it may still be on its way to w.woken. */
    spin_unlock(&vb->lock);
    sleep_on_flag(&w.woken, "disk queue");
    spin_lock(&vb->lock);
}

static int vblk_submit(struct blkdev *d, struct blk_request *r)
{
    struct vblk *vb = d->priv;
    uint32_t data;
    uint32_t need = descs_needed(vb, r, &data);
    if (need > vb->qsize || (vb->seg_max && data > vb->seg_max))
        return -EINVAL; /* could never fit this device's queue */

    spin_lock(&vb->lock);
    while (vb->nfree < need)
        wait_for_room(vb);
    uint16_t head = alloc_desc(vb);
    struct blk_header *h = &vb->hdr[head];
    h->type = r->op == BLK_READ ? T_IN : r->op == BLK_WRITE ? T_OUT : T_FLUSH;
    h->reserved = 0;
    h->sector = r->op == BLK_FLUSH ? 0 : r->sector;
    vb->status[head] = 0xFF; /* a device that never writes it reports an error */
    vb->owner[head] = r;

    uint16_t i = put_desc(vb, head, vb->hdr_pa + head * sizeof *h, sizeof *h, DESC_NEXT);
    uint16_t dir = r->op == BLK_READ ? DESC_WRITE : 0;
    for (int s = 0; s < r->nseg; s++) {
        paddr_t pa = r->seg[s].pa;
        uint32_t left = r->seg[s].len;
        while (left > 0) {
            uint32_t len = vb->size_max && left > vb->size_max ? vb->size_max : left;
            i = put_desc(vb, i, pa, len, dir | DESC_NEXT);
            pa += len;
            left -= len;
        }
    }
    put_desc(vb, i, vb->status_pa + head, 1, DESC_WRITE);

    vb->avail->ring[vb->avail_idx % vb->qsize] = head;
    vb->avail_idx++;
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the chain before the index */
    vb->avail->idx = vb->avail_idx;
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the index before we read the device's flags */
    if (!(vb->used->flags & USED_NO_NOTIFY))
        *vb->notify = 0; /* queue 0 */
    spin_unlock(&vb->lock);
    return 0;
}

/* Complete what the device has finished, a batch at a time, outside the lock. */
static void vblk_drain(struct vblk *vb)
{
    enum { BATCH = 16 };
    for (;;) {
        struct blk_request *done[BATCH];
        int status[BATCH];
        int n = 0;
        spin_lock(&vb->lock);
        while (n < BATCH && vb->last_used != vb->used->idx) {
            __atomic_thread_fence(__ATOMIC_ACQUIRE); /* the entry after the index */
            uint32_t head = vb->used->ring[vb->last_used % vb->qsize].id;
            vb->last_used++;
            if (head >= vb->qsize || !vb->owner[head])
                continue; /* not a request of ours: ignore it rather than trust it */
            done[n] = vb->owner[head];
            status[n] = vb->status[head] == S_OK ? 0 : -EIO;
            vb->owner[head] = 0;
            free_chain(vb, head);
            n++;
        }
        struct room_waiter *w = n ? vb->waiters : 0;
        if (w)
            vb->waiters = 0;
        spin_unlock(&vb->lock);
        while (w) {
            /* Read w's fields first: once woken is set, w's stack frame may go. */
            struct room_waiter *next = w->next;
            sched_wake_flag(&w->woken, w->task);
            w = next;
        }
        for (int i = 0; i < n; i++)
            blk_complete(&vb->dev, done[i], status[i]);
        if (n < BATCH)
            return;
    }
}

/* A wait stalled: take what the device finished (as the interrupt would
 * have), and notify it again in case it missed queued requests. */
static void vblk_poll(struct blkdev *d)
{
    struct vblk *vb = d->priv;
    vblk_drain(vb);
    spin_lock(&vb->lock);
    if (vb->nfree < vb->qsize)
        *vb->notify = 0; /* queue 0; a notification with nothing new is harmless */
    spin_unlock(&vb->lock);
}

static const struct blkdev_ops vblk_ops = {.submit = vblk_submit, .poll = vblk_poll};

void virtio_blk_mute_interrupts(struct blkdev *d, int on)
{
    struct vblk *vb = d->priv;
    spin_lock(&vb->lock);
    vb->avail->flags = on ? AVAIL_NO_INTERRUPT : 0;
    spin_unlock(&vb->lock);
}

static void vblk_interrupt(struct trapframe *tf)
{
    lapic_eoi(); /* MSI is edge-triggered: a completion after the drain interrupts again */
    uint64_t n = tf->vector - T_VIRTIO_BLK;
    if (n < MAX_DISKS && disks[n])
        vblk_drain(disks[n]);
}

/* The device's capacity in sectors (64 bits read as two halves, retried if they tear). */
static uint64_t read_capacity(struct vblk *vb)
{
    volatile uint32_t *cap = (volatile uint32_t *)(vb->vp.device_cfg + CFG_CAPACITY);
    for (;;) {
        uint8_t gen = vb->vp.common->config_generation;
        uint64_t c = cap[0] | (uint64_t)cap[1] << 32;
        if (gen == vb->vp.common->config_generation)
            return c;
    }
}

/* Allocate and zero the ring, headers and status bytes (two pages). */
static int alloc_rings(struct vblk *vb)
{
    paddr_t p0 = pmm_alloc_zeroed(), p1 = pmm_alloc_zeroed();
    if (!p0 || !p1) {
        if (p0)
            pmm_free(p0);
        if (p1)
            pmm_free(p1);
        return -ENOMEM;
    }
    /* Page 0: descriptors (16 * 128) and headers (16 * 128).
     * Page 1: avail ring at 0 (<= 262 bytes), used ring at 512 (<= 1030), status at 2048. */
    vb->desc = phys_to_virt(p0);
    vb->hdr = phys_to_virt(p0 + 2048);
    vb->hdr_pa = p0 + 2048;
    vb->avail = phys_to_virt(p1);
    vb->used = phys_to_virt(p1 + 512);
    vb->status = phys_to_virt(p1 + 2048);
    vb->status_pa = p1 + 2048;
    for (uint16_t i = 0; i < vb->qsize; i++)
        vb->desc[i].next = i + 1;
    vb->free_head = 0;
    vb->nfree = vb->qsize;
    return 0;
}

/* Bring up one disk; 0, or a negative errno with the device left failed. */
static int vblk_start(struct vblk *vb, const struct pci_dev *pd)
{
    const char *name = vb->dev.name;
    if (virtio_pci_probe(&vb->vp, pd, name) < 0)
        return -ENODEV;
    uint64_t got;
    if (virtio_pci_negotiate(&vb->vp, VIRTIO_F_VERSION_1 | F_FLUSH | F_RO | F_SEG_MAX | F_SIZE_MAX, &got) < 0) {
        kprintf("virtio-blk: %s: feature negotiation failed; disk not used\n", name);
        return -ENODEV;
    }
    uint16_t max = virtio_pci_queue_max(&vb->vp, 0);
    vb->qsize = max < QUEUE_MAX ? max : QUEUE_MAX;
    if (vb->qsize < 4 || (vb->qsize & (vb->qsize - 1))) {
        kprintf("virtio-blk: %s: queue of %u entries is unusable; disk not used\n", name, max);
        goto fail;
    }
    if (got & F_SEG_MAX)
        vb->seg_max = *(volatile uint32_t *)(vb->vp.device_cfg + CFG_SEG_MAX);
    if (got & F_SIZE_MAX) {
        vb->size_max = *(volatile uint32_t *)(vb->vp.device_cfg + CFG_SIZE_MAX);
        if (vb->size_max < BLK_SECTOR_SIZE)
            vb->size_max = 0;
        else
            vb->size_max &= ~(uint32_t)(BLK_SECTOR_SIZE - 1);
    }
    vb->dev.sectors = read_capacity(vb);
    vb->dev.read_only = (got & F_RO) != 0;
    vb->dev.has_flush = (got & F_FLUSH) != 0;

    int vector = T_VIRTIO_BLK + ndisks;
    if (virtio_pci_msix_route(&vb->vp, 0, vector, cpus[0].apic_id) < 0) {
        kprintf("virtio-blk: %s: no MSI-X; disk not used\n", name);
        goto fail;
    }
    if (alloc_rings(vb) < 0) {
        kprintf("virtio-blk: %s: out of memory for the queue; disk not used\n", name);
        goto fail;
    }
    vb->notify = virtio_pci_queue_enable(&vb->vp, 0, vb->qsize, virt_to_phys((void *)vb->desc),
                                         virt_to_phys((void *)vb->avail), virt_to_phys((void *)vb->used), 0);
    if (!vb->notify) {
        kprintf("virtio-blk: %s: the device refused its queue; disk not used\n", name);
        goto fail; /* the two ring pages stay with the failed device: it may still hold their addresses */
    }
    disks[ndisks] = vb;
    trap_register(vector, vblk_interrupt);
    virtio_pci_driver_ok(&vb->vp);
    return 0;
fail:
    virtio_pci_fail(&vb->vp);
    return -ENODEV;
}

static void probe_one(const struct pci_dev *pd, void *arg)
{
    (void)arg;
    if (pd->vendor != VIRTIO_VENDOR || (pd->device != VIRTIO_BLK_MODERN && pd->device != VIRTIO_BLK_TRANSITIONAL))
        return;
    if (ndisks >= MAX_DISKS) {
        kprintf("virtio-blk: more than %d disks; the rest are ignored\n", ndisks);
        return;
    }
    struct vblk *vb = kzalloc(sizeof *vb);
    if (!vb)
        return;
    spin_init(&vb->lock, "virtio-blk");
    ksnprintf(vb->dev.name, sizeof vb->dev.name, "vd%c", 'a' + ndisks);
    vb->dev.ops = &vblk_ops;
    vb->dev.priv = vb;
    if (vblk_start(vb, pd) < 0) {
        kfree(vb);
        return;
    }
    if (blk_register(&vb->dev) < 0) {
        kprintf("virtio-blk: %s: the table of disks is full; disk not used\n", vb->dev.name);
        disks[ndisks] = 0;
        virtio_pci_fail(&vb->vp); /* vb stays allocated: its vector is registered */
        return;
    }
    ndisks++;
    uint64_t mib = vb->dev.sectors / 2048;
    kprintf("virtio-blk: %s: %lu sectors (%lu MiB)%s%s, msi-x\n", vb->dev.name, vb->dev.sectors, mib,
            vb->dev.has_flush ? ", flush" : "", vb->dev.read_only ? ", read-only" : "");
}

void virtio_blk_init(void)
{
    pci_scan(probe_one, 0);
}
