# SPDX-License-Identifier: MIT
# fio's own zoned test suite, t/zbd/test-zbd-support, unmodified, on a served
# emulated device laid out as section 5 of fio's run-tests-against-nullb
# (1 GiB, 4 MiB zones of 3 MiB capacity, 10 % conventional zones).  The tests
# to run are in the share's file fio-tests (default: all); the results, one
# line a test, go to $OUT/fio-zbd.txt.
T=fio
. ./lib.sh
D=$W/fio-dev
rm -rf "$D" $W/fio
cp -r /mnt/fio $W/fio || fail "no fio in the share"
# another layout (zonekit create options) from the share's file fio-layout
# shellcheck disable=SC2046
run zonekit create "$D" $(cat /mnt/fio-layout 2>/dev/null ||
	echo --capacity 1G --zone-size 4M --zone-capacity 3M --conv 25)
serve "$D"
opts=
for t in $(cat /mnt/fio-tests 2>/dev/null); do opts="$opts -t $t"; done
# shellcheck disable=SC2086
# the output straight into $OUT: a run cut short still shows how far it got
(cd $W/fio && bash t/zbd/test-zbd-support $opts "$B") > $OUT/fio-zbd.out 2>&1
st=$?
cp $OUT/fio-zbd.out $W/zbd.out
# each test's log ends with its status (a SKIP's reason on the line before)
: > $OUT/fio-zbd.txt
for n in $(sed -n 's/^Running test \([0-9]*\) .*/\1/p' $W/zbd.out); do
	f=$W/fio/t/zbd/test-zbd-support.log.$(echo "$n" | sed 's/^0*//')
	status=$(tail -n 1 "$f" 2>/dev/null)
	case $status in
	SKIP) echo "$n SKIP $(tail -n 2 "$f" | head -n 1)" ;;
	PASS) echo "$n PASS" ;;
	*) echo "$n FAIL"; cp "$f" $OUT/ ;;
	esac
done >> $OUT/fio-zbd.txt
sed -n '/tests passed/,$p' $W/zbd.out | sed "s/^/$T: suite: /"
grep ' FAIL' $OUT/fio-zbd.txt | sed "s/^/$T: /"
stop_server $W/fio-stop.json
pass=$(grep -c ' PASS' $OUT/fio-zbd.txt); skip=$(grep -c ' SKIP' $OUT/fio-zbd.txt)
failed=$(grep ' FAIL' $OUT/fio-zbd.txt | cut -d' ' -f1 | tr '\n' ' ')
log "fio $($W/fio/fio --version) t/zbd/test-zbd-support: $pass passed, $skip skipped," \
	"failed: ${failed:-none}; server: $(counter $W/fio-stop.json write) writes," \
	"$(counter $W/fio-stop.json zone_reset) resets, $(counter $W/fio-stop.json errors) errors"
[ -s $OUT/fio-zbd.txt ] || fail "no test ran: $(tail -n 5 $W/zbd.out)"
[ $st = 0 ] || fail "tests failed: $failed"
echo "$T: PASS"
