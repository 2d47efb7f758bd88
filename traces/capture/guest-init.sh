#!/bin/busybox sh
# The capture guest's /init (busybox, in the initramfs capture.sh builds):
# kprobe events on the s390 DMA layer's entry points, the workload, then
# the trace on the console between markers, and power off.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
T=/sys/kernel/tracing
workload=$(sed -n 's/.*zpcisim.workload=\([a-z]*\).*/\1/p' /proc/cmdline)

# Arguments are in r2..r6 on s390x; $retval is r2 on return.  Up to 6.6
# the s390 DMA layer has its own entry points; since 6.7 the generic
# DMA-IOMMU layer takes the calls, with the same arguments, and maps
# through the s390 IOMMU driver, whose map_pages has the physical address.
# There a coherent allocation maps without a map call, and a free unmaps
# without an unmap call: their returns end them.
probe() { echo "$1" >> $T/kprobe_events || echo "zpcisim-capture: cannot probe: $1"; }
if grep -q ' s390_dma_map_pages$' /proc/kallsyms; then
	api=s390_dma map=s390_dma_map_pages unmap=s390_dma_unmap_pages
	probe 'p:zpci/update __dma_update_trans pa=%r3 iova=%r4 size=%r5 flags=%r6'
else
	api=iommu_dma map=iommu_dma_map_page unmap=iommu_dma_unmap_page
	probe 'p:zpci/update s390_iommu_map_pages iova=%r3 pa=%r4 pgsize=%r5 pgcount=%r6'
fi
probe "p:zpci/map $map size=%r5 dir=%r6"
probe "r:zpci/map_ret $map iova=\$retval"
probe "p:zpci/unmap $unmap iova=%r3 size=%r4 dir=%r5"
probe "p:zpci/alloc ${api}_alloc size=%r3"
probe "r:zpci/alloc_ret ${api}_alloc addr=\$retval"
probe "p:zpci/free ${api}_free size=%r3 iova=%r5"
probe "r:zpci/free_ret ${api}_free"
probe "p:zpci/map_sg ${api}_map_sg nents=%r4 dir=%r5"
probe "p:zpci/unmap_sg ${api}_unmap_sg nents=%r4 dir=%r5"
probe 'p:zpci/rpcit zpci_refresh_trans fn=%r2 addr=%r3 range=%r4'
# Since 6.7, every tick, with jiffies as the tick left it, and every run
# of the timer softirq: the flush queue's timeout and the IOVA caches' trim
# are timers, which run there, after whatever interrupts came with the
# tick.  (Up to 6.6 the DMA layer has no timers.)
if [ $api = iommu_dma ]; then
	probe 'p:zpci/tick update_process_times jiffies=@jiffies_64:u64'
	probe 'p:zpci/timers run_timer_softirq jiffies=@jiffies_64:u64'
fi
echo 65536 > $T/buffer_size_kb
echo 1 > $T/events/zpci/enable
echo 1 > $T/tracing_on

for m in /lib/modules/*.ko; do insmod $m; done
dev=$(ls /sys/bus/pci/devices | head -n 1)
d=/sys/bus/pci/devices/$dev
echo "zpcisim-capture: function fid=$(cat $d/function_id) fh=$(cat $d/function_handle) pfgid=$(cat $d/pfgid)"
echo "zpcisim-capture: guest api=$api domain=$(cat $d/iommu_group/type 2>/dev/null || echo none)"

case $workload in
block)
	# Reads and writes of several sizes, direct, so that each is device DMA.
	for bs in 4096 16384 65536 262144 1048576; do
		dd if=/dev/vda of=/dev/null bs=$bs count=$((16777216 / bs)) iflag=direct 2>/dev/null
		dd if=/dev/zero of=/dev/vda bs=$bs count=$((16777216 / bs)) oflag=direct 2>/dev/null
	done
	dd if=/dev/vda of=/dev/null bs=65536 iflag=direct 2>/dev/null	# the whole disk
	;;
net)
	ip link set eth0 up
	udhcpc -q -n -i eth0 >/dev/null 2>&1
	for i in 1 2 3; do wget -q -O /dev/null http://10.0.2.2:1/ 2>/dev/null; done
	ping -c 20 -s 1400 10.0.2.2 >/dev/null 2>&1
	;;
esac
sync
echo 0 > $T/tracing_on
echo "zpcisim-capture: statistics"
cat /sys/kernel/debug/pci/$dev/statistics 2>/dev/null
echo "zpcisim-capture: trace begins"
cat $T/trace
echo "zpcisim-capture: trace ends"
poweroff -f
