#!/usr/bin/env bats
# twin-ingest: every option and every error path.

load helpers

# --- CSV --------------------------------------------------------------------

@test "csv: the bundled log gives the golden readings" {
	run --separate-stderr twin-ingest "$TOP/testdata/pump-1.csv"
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(cat "$TOP/testdata/golden/pump-1.ndjson")"
}

@test "csv: one reading per non-empty cell, NaN as null, states as strings" {
	run --separate-stderr twin-ingest "$TOP/testdata/pump-1.csv"
	assert_success
	assert_line --index 9 '{"ts":"2024-03-01T00:00:03Z","asset":"pump-1","sensor":"temp_c","value":61.52}'
	assert_line --index 10 '{"ts":"2024-03-01T00:00:03Z","asset":"pump-1","sensor":"state","value":"RUN"}'
	assert_line --index 33 '{"ts":"2024-03-01T00:00:11Z","asset":"pump-1","sensor":"rpm","value":null}'
}

@test "csv: the delimiter is detected: semicolon and tab" {
	printf 'ts;a;b\n2024-01-01T00:00:00Z;1;2\n' >semi.csv
	printf 'ts\ta\n2024-01-01T00:00:00Z\t3\n' >tab.tsv
	run --separate-stderr twin-ingest semi.csv tab.tsv
	assert_success
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"semi","sensor":"a","value":1}
{"ts":"2024-01-01T00:00:00Z","asset":"semi","sensor":"b","value":2}
{"ts":"2024-01-01T00:00:00Z","asset":"tab","sensor":"a","value":3}'
}

@test "csv: -d gives the delimiter" {
	printf 'ts|a\n2024-01-01T00:00:00Z|7\n' >pipe.txt
	run --separate-stderr twin-ingest -d '|' pipe.txt
	assert_success
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"pipe","sensor":"a","value":7}'
}

@test "csv: quoted fields, a BOM, CRLF and no final newline" {
	printf '\xef\xbb\xbf"ts","the ""x"", sensor"\r\n"2024-01-01T00:00:00Z","a,b"\r\n2024-01-01T00:00:01Z,5' >q.csv
	run --separate-stderr twin-ingest q.csv
	assert_success
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"q","sensor":"the \"x\", sensor","value":"a,b"}
{"ts":"2024-01-01T00:00:01Z","asset":"q","sensor":"the \"x\", sensor","value":5}'
}

@test "csv: a quoted field with a newline spans lines; lineage names its first line" {
	printf 'ts,note,v\n2024-01-01T00:00:00Z,"two\nlines",1\n2024-01-01T00:00:01Z,x,2\n' >ml.csv
	run --separate-stderr twin-ingest --lineage ml.csv
	assert_success
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"ml","sensor":"note","value":"two\nlines","src":"ml.csv:2"}
{"ts":"2024-01-01T00:00:00Z","asset":"ml","sensor":"v","value":1,"src":"ml.csv:2"}
{"ts":"2024-01-01T00:00:01Z","asset":"ml","sensor":"note","value":"x","src":"ml.csv:4"}
{"ts":"2024-01-01T00:00:01Z","asset":"ml","sensor":"v","value":2,"src":"ml.csv:4"}'
}

@test "csv: an unterminated quote is rejected whole at the end, verbatim" {
	printf 'ts,v\n2024-01-01T00:00:00Z,1\n2024-01-01T00:00:01Z,"open\nmore\n' >uq.csv
	run --separate-stderr twin-ingest --rejects=rej uq.csv
	assert_failure 1
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"uq","sensor":"v","value":1}'
	assert_equal "$stderr" "twin-ingest: uq.csv:3: unterminated quoted field"
	assert_equal "$(cat rej)" "$(printf '2024-01-01T00:00:01Z,"open\nmore')"
}

@test "csv: a malformed quote is rejected with its line" {
	printf 'ts,v\n2024-01-01T00:00:00Z,ab"c\n2024-01-01T00:00:01Z,2\n' >mq.csv
	run --separate-stderr twin-ingest mq.csv
	assert_failure 1
	assert_output '{"ts":"2024-01-01T00:00:01Z","asset":"mq","sensor":"v","value":2}'
	assert_regex "$stderr" '^twin-ingest: mq\.csv:2: malformed quoted field'
}

@test "csv: the asset column, --asset and the file name" {
	printf 'time,asset,t\n2024-01-01T00:00:00Z,p-7,1\n' >site.csv
	run --separate-stderr twin-ingest site.csv
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"p-7","sensor":"t","value":1}'
	run --separate-stderr twin-ingest --asset=other site.csv
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"other","sensor":"t","value":1}'
	run --separate-stderr twin-ingest --asset=other --asset-field=asset site.csv
	assert_failure 2
	assert_equal "$stderr" "twin-ingest: give --asset or --asset-field, not both
Try 'twin-ingest --help' for more information."
	printf 'when,machine,t\n2024-01-01T00:00:00Z,m1,1\n' >named.csv
	run --separate-stderr twin-ingest --ts-field=when --asset-field=machine named.csv
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"m1","sensor":"t","value":1}'
	run --separate-stderr twin-ingest --ts-field=1 --asset-field=2 named.csv
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"m1","sensor":"t","value":1}'
}

@test "csv: a malformed quote in the header is a fatal error, not a record" {
	printf 'ts,"te"mp\n2024-01-01T00:00:00Z,1\n2024-01-01T00:00:01Z,2\n' >h.csv
	run --separate-stderr twin-ingest h.csv
	assert_failure 2
	assert_output ""
	assert_regex "$stderr" "^twin-ingest: h\.csv:1: malformed quoted field in the header "
}

@test "csv: a named column missing from the header is a fatal error" {
	printf 'ts,v\n2024-01-01T00:00:00Z,1\n' >h.csv
	run --separate-stderr twin-ingest --ts-field=nope h.csv
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "twin-ingest: h.csv:1: no time column 'nope' in the header"
}

@test "csv: long layout with sensor and value columns" {
	printf 'ts,asset,sensor,value\n2024-01-01T00:00:00Z,p1,temp,1.5\n2024-01-01T00:00:00Z,p1,state,\n' >long.csv
	run --separate-stderr twin-ingest --layout=long long.csv
	assert_success
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"p1","sensor":"temp","value":1.5}
{"ts":"2024-01-01T00:00:00Z","asset":"p1","sensor":"state","value":null}'
	printf 't,tag,reading\n2024-01-01T00:00:00Z,x,2\n' >long2.csv
	run --separate-stderr twin-ingest --ts-field=t --sensor-field=tag --value-field=reading long2.csv
	assert_success
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"long2","sensor":"x","value":2}'
}

@test "csv: --columns, --rename and --unit" {
	run --separate-stderr twin-ingest --columns=temp_c,rpm --rename=temp_c=temp --unit=temp=degC,rpm=1/min "$TOP/testdata/pump-1.csv"
	assert_success
	assert_line --index 0 '{"ts":"2024-03-01T00:00:00Z","asset":"pump-1","sensor":"temp","value":61.25,"unit":"degC"}'
	assert_line --index 1 '{"ts":"2024-03-01T00:00:00Z","asset":"pump-1","sensor":"rpm","value":1450,"unit":"1/min"}'
	assert_equal "${#lines[@]}" 23
}

@test "csv: numbers are copied as written, or rewritten in the shortest form" {
	printf 'ts,a,b,c,d,e\n2024-01-01T00:00:00Z,61.40,007,+5,.5,-0\n' >n.csv
	run --separate-stderr twin-ingest n.csv
	assert_success
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"n","sensor":"a","value":61.40}
{"ts":"2024-01-01T00:00:00Z","asset":"n","sensor":"b","value":7}
{"ts":"2024-01-01T00:00:00Z","asset":"n","sensor":"c","value":5}
{"ts":"2024-01-01T00:00:00Z","asset":"n","sensor":"d","value":0.5}
{"ts":"2024-01-01T00:00:00Z","asset":"n","sensor":"e","value":-0}'
}

@test "csv: --numeric rejects strings; booleans pass without it" {
	printf 'ts,a\n2024-01-01T00:00:00Z,true\n2024-01-01T00:00:01Z,RUN\n' >b.csv
	run --separate-stderr twin-ingest b.csv
	assert_success
	assert_line --index 0 '{"ts":"2024-01-01T00:00:00Z","asset":"b","sensor":"a","value":true}'
	run --separate-stderr twin-ingest --numeric b.csv
	assert_failure 1
	assert_output ""
	assert_equal "$stderr" "twin-ingest: b.csv:2: column 2: not a number: 'true'
twin-ingest: b.csv:3: column 2: not a number: 'RUN'"
}

# --- time stamps ------------------------------------------------------------

@test "time: epoch units, strptime formats and --tz" {
	printf 'ts,v\n1709251200123,1\n' >ms.csv
	run --separate-stderr twin-ingest --time-format=epoch_ms ms.csv
	assert_output '{"ts":"2024-03-01T00:00:00.123Z","asset":"ms","sensor":"v","value":1}'
	printf 'ts,v\n1709251200.5,1\n' >s.csv
	run --separate-stderr twin-ingest s.csv
	assert_output '{"ts":"2024-03-01T00:00:00.500Z","asset":"s","sensor":"v","value":1}'
	printf 'ts;v\n01/03/2024 01:00:00;1\n01/07/2024 02:00:00;2\n' >eu.csv
	run --separate-stderr twin-ingest --time-format='%d/%m/%Y %H:%M:%S' --tz=Europe/Rome eu.csv
	assert_success
	assert_output '{"ts":"2024-03-01T00:00:00Z","asset":"eu","sensor":"v","value":1}
{"ts":"2024-07-01T00:00:00Z","asset":"eu","sensor":"v","value":2}'
}

@test "time: offsets are honoured and output is UTC with the shortest fraction" {
	printf 'ts,v\n2024-03-01T01:00:00.250+01:00,1\n2024-03-01T00:00:00.000001Z,2\n2024-03-01 00:00:00.100000000,3\n' >o.csv
	run --separate-stderr twin-ingest o.csv
	assert_success
	assert_output '{"ts":"2024-03-01T00:00:00.250Z","asset":"o","sensor":"v","value":1}
{"ts":"2024-03-01T00:00:00.000001Z","asset":"o","sensor":"v","value":2}
{"ts":"2024-03-01T00:00:00.100Z","asset":"o","sensor":"v","value":3}'
}

@test "time: bad and impossible time stamps are rejected with file and line" {
	printf 'ts,v\nyesterday,1\n2023-02-29 00:00:00,2\n2024-01-01T00:00:00Z,3\n' >bad.csv
	run --separate-stderr twin-ingest --rejects=rej bad.csv
	assert_failure 1
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"bad","sensor":"v","value":3}'
	assert_regex "${stderr_lines[0]}" "^twin-ingest: bad\.csv:2: .*yesterday"
	assert_regex "${stderr_lines[1]}" "^twin-ingest: bad\.csv:3: .*2023-02-29"
	assert_equal "$(cat rej)" "yesterday,1
2023-02-29 00:00:00,2"
}

@test "time: --since and --until keep a window of event time" {
	run --separate-stderr twin-ingest --since=2024-03-01T00:00:09Z --until='2024-03-01 00:00:11' --columns=temp_c "$TOP/testdata/pump-1.csv"
	assert_success
	assert_output '{"ts":"2024-03-01T00:00:09Z","asset":"pump-1","sensor":"temp_c","value":65.02}
{"ts":"2024-03-01T00:00:10Z","asset":"pump-1","sensor":"temp_c","value":64.90}'
}

# --- NDJSON -----------------------------------------------------------------

@test "ndjson: canonical readings pass, with their unit" {
	printf '{"ts":"2024-01-01T00:00:00Z","asset":"p","sensor":"t","value":1.25,"unit":"degC"}\n' >c.ndjson
	run --separate-stderr twin-ingest c.ndjson
	assert_success
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"p","sensor":"t","value":1.25,"unit":"degC"}'
}

@test "ndjson: arbitrary field names are mapped and objects exploded" {
	printf '{"meta":{"time":1704067200,"dev":"m\\u00e9"},"data":{"t":1,"s":"ok","n":{"x":null}}}\n' >m.jsonl
	run --separate-stderr twin-ingest --ts-field=meta.time --asset-field=meta.dev --value-field=data m.jsonl
	assert_success
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"mé","sensor":"t","value":1}
{"ts":"2024-01-01T00:00:00Z","asset":"mé","sensor":"s","value":"ok"}
{"ts":"2024-01-01T00:00:00Z","asset":"mé","sensor":"n.x","value":null}'
}

@test "ndjson: a byte order mark at the start of the file is skipped, elsewhere rejected" {
	printf '\xef\xbb\xbf{"ts":1,"asset":"a","sensor":"t","value":1}\n\xef\xbb\xbf{"ts":2,"asset":"a","sensor":"t","value":2}\n' >bom.ndjson
	run --separate-stderr twin-ingest bom.ndjson
	assert_failure 1
	assert_output '{"ts":"1970-01-01T00:00:01Z","asset":"a","sensor":"t","value":1}'
	assert_equal "$stderr" "twin-ingest: bom.ndjson:2: not a JSON object"
}

@test "ndjson: records of other kinds pass through unchanged" {
	printf '%s\n' '{"ts":"2024-01-01T00:00:00Z", "asset":"p","kind":"score","sensor":"t","score":0.9}' >k.ndjson
	run --separate-stderr twin-ingest --stats k.ndjson
	assert_success
	assert_output '{"ts":"2024-01-01T00:00:00Z", "asset":"p","kind":"score","sensor":"t","score":0.9}'
	assert_equal "$stderr" "twin-ingest: 1 lines: 1 accepted (0 readings), 0 rejected, 0 skipped"
}

@test "csv: long layout takes a unit column; a multi-line record counts each line" {
	printf 'ts,sensor,value,unit\n2024-01-01T00:00:00Z,t,1,"deg\nC"\n2024-01-01T00:00:00Z,p,2,\n' >lu.csv
	run --separate-stderr twin-ingest --layout=long --stats lu.csv
	assert_success
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"lu","sensor":"t","value":1,"unit":"deg\nC"}
{"ts":"2024-01-01T00:00:00Z","asset":"lu","sensor":"p","value":2}'
	assert_equal "$stderr" "twin-ingest: 4 lines: 3 accepted (2 readings), 0 rejected, 1 skipped"
}

@test "csv: invalid UTF-8 in the header is a fatal error" {
	printf 'ts,t\xffc\n2024-01-01T00:00:00Z,1\n' >hu.csv
	run --separate-stderr twin-ingest hu.csv
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "twin-ingest: hu.csv:1: invalid UTF-8 in the header, column 2"
}

@test "ndjson: a state record's values become readings" {
	printf '{"ts":"2024-01-01T00:00:00Z","asset":"p","kind":"state","values":{"a":1,"b":2}}\n' >st.ndjson
	run --separate-stderr twin-ingest st.ndjson
	assert_success
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"p","sensor":"a","value":1}
{"ts":"2024-01-01T00:00:00Z","asset":"p","sensor":"b","value":2}'
}

@test "ndjson: invalid JSON, missing fields and arrays are rejected, the rest kept" {
	{
		printf '{"ts":"2024-01-01T00:00:00Z","asset":"p","sensor":"t","value":1}\n'
		printf '{"ts":"2024-01-01T00:00:00Z","asset":"p","sensor":"t","value":}\n'
		printf '{"asset":"p","sensor":"t","value":1}\n'
		printf '{"ts":"2024-01-01T00:00:00Z","asset":"p","sensor":"t","value":[1]}\n'
		printf '{"ts":"2024-01-01T00:00:00Z","asset":"p","sensor":"t","value":"\xff"}\n'
		printf '{"ts":"2024-01-01T00:00:00Z","asset":"p","sensor":"t","value":2}\n'
	} >bad.ndjson
	run --separate-stderr twin-ingest --rejects=rej bad.ndjson
	assert_failure 1
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"p","sensor":"t","value":1}
{"ts":"2024-01-01T00:00:00Z","asset":"p","sensor":"t","value":2}'
	assert_regex "${stderr_lines[0]}" '^twin-ingest: bad\.ndjson:2: '
	assert_equal "${stderr_lines[1]}" 'twin-ingest: bad.ndjson:3: missing "ts"'
	assert_regex "${stderr_lines[2]}" '^twin-ingest: bad\.ndjson:4: '
	assert_regex "${stderr_lines[3]}" '^twin-ingest: bad\.ndjson:5: .*UTF-8'
	assert_equal "$(lines rej)" 4
	assert_equal "$(sed -n 2p rej)" '{"asset":"p","sensor":"t","value":1}'
}

# --- InfluxDB line protocol -------------------------------------------------

@test "influx: tags, fields of every type, escapes, nanosecond time" {
	printf '%s\n' '# telegraf output' \
		'modbus,asset=pump\ 1,site=a temp=61.5,count=3i,free=7u,on=t,mode="auto \"x\"" 1709251200000000001' >t.lp
	run --separate-stderr twin-ingest t.lp
	assert_success
	assert_output '{"ts":"2024-03-01T00:00:00.000000001Z","asset":"pump 1","sensor":"temp","value":61.5}
{"ts":"2024-03-01T00:00:00.000000001Z","asset":"pump 1","sensor":"count","value":3}
{"ts":"2024-03-01T00:00:00.000000001Z","asset":"pump 1","sensor":"free","value":7}
{"ts":"2024-03-01T00:00:00.000000001Z","asset":"pump 1","sensor":"on","value":true}
{"ts":"2024-03-01T00:00:00.000000001Z","asset":"pump 1","sensor":"mode","value":"auto \"x\""}'
}

@test "influx: the asset from --asset-field, else the measurement; --time-format" {
	printf 'cpu,host=h1 usage=5 1709251200\n' >h.lp
	run --separate-stderr twin-ingest --asset-field=host --time-format=epoch h.lp
	assert_output '{"ts":"2024-03-01T00:00:00Z","asset":"h1","sensor":"usage","value":5}'
	run --separate-stderr twin-ingest --time-format=epoch h.lp
	assert_output '{"ts":"2024-03-01T00:00:00Z","asset":"cpu","sensor":"usage","value":5}'
}

@test "influx: bad lines are rejected; no time stamp needs --stamp" {
	printf 'm f=1 1\nm f=1x 1\nm f=1\nm,t f=1 1\nm  1\n' >bad.lp
	run --separate-stderr twin-ingest bad.lp
	assert_failure 1
	assert_output '{"ts":"1970-01-01T00:00:00.000000001Z","asset":"m","sensor":"f","value":1}'
	assert_equal "${stderr_lines[0]}" "twin-ingest: bad.lp:2: not a number: '1x'"
	assert_equal "${stderr_lines[1]}" "twin-ingest: bad.lp:3: no time stamp (give --stamp to stamp lines as they arrive)"
	assert_regex "${stderr_lines[2]}" "^twin-ingest: bad\.lp:4: malformed tag"
	assert_regex "${stderr_lines[3]}" "^twin-ingest: bad\.lp:5: "
	printf 'm f=1\n' >now.lp
	run --separate-stderr twin-ingest --stamp now.lp
	assert_success
	assert_output --regexp '^\{"ts":"20[0-9-]+T[0-9:.]+Z","asset":"m","sensor":"f","value":1\}$'
}

# --- MQTT -------------------------------------------------------------------

@test "mqtt: topic levels name asset and sensor; payloads of every kind" {
	{
		echo '2024-03-01T00:00:00Z plant/pump-1/temp 61.2'
		echo '2024-03-01T00:00:00Z plant/pump-1/state RUNNING'
		echo 'plant/pump-1/vib {"ts":"2024-03-01T00:00:01Z","value":0.3,"unit":"mm/s"}'
		echo 'plant/pump-1/all {"ts":"2024-03-01T00:00:02Z","a":1,"b":{"c":2}}'
	} >s.mqtt
	run --separate-stderr twin-ingest s.mqtt
	assert_success
	assert_output '{"ts":"2024-03-01T00:00:00Z","asset":"pump-1","sensor":"temp","value":61.2}
{"ts":"2024-03-01T00:00:00Z","asset":"pump-1","sensor":"state","value":"RUNNING"}
{"ts":"2024-03-01T00:00:01Z","asset":"pump-1","sensor":"vib","value":0.3,"unit":"mm/s"}
{"ts":"2024-03-01T00:00:02Z","asset":"pump-1","sensor":"all.a","value":1}
{"ts":"2024-03-01T00:00:02Z","asset":"pump-1","sensor":"all.b.c","value":2}'
}

@test "mqtt: --topic patterns with + and #, and topics that do not match" {
	printf '1709251200 site/a/dev/p9/x/temp 1\n1709251200 other/p9 2\n' >t.mqtt
	run --separate-stderr twin-ingest --topic='site/+/dev/{asset}/#/{sensor}' t.mqtt
	assert_failure 1
	assert_output '{"ts":"2024-03-01T00:00:00Z","asset":"p9","sensor":"temp","value":1}'
	assert_equal "$stderr" "twin-ingest: t.mqtt:2: topic 'other/p9' does not match 'site/+/dev/{asset}/#/{sensor}'"
	run --separate-stderr twin-ingest --topic='a/{asset}/{asset}' t.mqtt
	assert_failure 2
	assert_equal "$stderr" "twin-ingest: --topic: {asset} given twice"
}

@test "mqtt: lines without a time stamp need --stamp" {
	printf 'p/t 1\n' >n.mqtt
	run --separate-stderr twin-ingest n.mqtt
	assert_failure 1
	assert_equal "$stderr" "twin-ingest: n.mqtt:1: no time stamp (give --stamp to stamp lines as they arrive)"
	run --separate-stderr twin-ingest --stamp n.mqtt
	assert_success
	assert_output --regexp '"asset":"p","sensor":"t","value":1\}$'
}

# --- files, gzip, standard input --------------------------------------------

@test "input: .gz files (also concatenated members) and several files in order" {
	printf 'ts,v\n2024-01-01T00:00:00Z,1\n' | gzip >a.csv.gz
	{ printf 'ts,v\n2024-01-01T00:00:01Z,2\n' | gzip; printf '2024-01-01T00:00:02Z,3\n' | gzip; } >b.csv.gz
	run --separate-stderr twin-ingest a.csv.gz b.csv.gz
	assert_success
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"a","sensor":"v","value":1}
{"ts":"2024-01-01T00:00:01Z","asset":"b","sensor":"v","value":2}
{"ts":"2024-01-01T00:00:02Z","asset":"b","sensor":"v","value":3}'
}

@test "input: gzip is recognised on standard input too" {
	printf '{"ts":"2024-01-01T00:00:00Z","asset":"p","sensor":"t","value":1}\n' | gzip >x.gz
	run --separate-stderr twin-ingest -f ndjson - <x.gz
	assert_success
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"p","sensor":"t","value":1}'
}

@test "input: truncated gzip is a fatal error after the readings before it" {
	seq 1 20000 | sed 's/^/2024-01-01T00:00:00Z,/' | sed '1i ts,v' | gzip >t.csv.gz
	head -c 20000 t.csv.gz >cut.csv.gz
	run --separate-stderr twin-ingest cut.csv.gz
	assert_failure 2
	assert_equal "$stderr" "twin-ingest: cut.csv.gz: truncated gzip data"
}

@test "input: standard input needs -f; a missing file and a directory are fatal" {
	run --separate-stderr twin-ingest </dev/null
	assert_failure 2
	assert_equal "$stderr" "twin-ingest: standard input: cannot tell the format from the name: give -f csv, ndjson, influx or mqtt"
	run --separate-stderr twin-ingest nope.csv
	assert_failure 2
	assert_equal "$stderr" "twin-ingest: nope.csv: No such file or directory"
	mkdir d.csv
	run --separate-stderr twin-ingest d.csv
	assert_failure 2
	assert_equal "$stderr" "twin-ingest: d.csv: is a directory"
}

@test "input: a line longer than 64 MiB is rejected, the next one read" {
	{ printf 'ts,v\n'; head -c 70000000 /dev/zero | tr '\0' 'x'; printf '\n2024-01-01T00:00:00Z,1\n'; } >big.csv
	run --separate-stderr twin-ingest big.csv
	assert_failure 1
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"big","sensor":"v","value":1}'
	assert_equal "$stderr" "twin-ingest: big.csv:2: line longer than 67108864 bytes"
}

@test "input: an empty file and a header alone give nothing, successfully" {
	: >empty.csv
	printf 'ts,v\n' >head.csv
	run --separate-stderr twin-ingest empty.csv head.csv
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
}

# --- errors and accounting --------------------------------------------------

@test "errors: every line is a reading's source, skipped, or rejected" {
	{
		printf 'ts,a,b\n'
		for i in $(seq 10 59); do printf '2024-01-01T00:00:%s,%s,%s\n' "$i" "$i" "$i"; done
		printf '2024-01-01T00:01:00,1\n\n2024-01-01T00:01:01,x1,2\nnot-a-time,1,2\n'
	} >acc.csv
	run --separate-stderr twin-ingest --numeric --lineage --stats --rejects=rej acc.csv
	assert_failure 1
	in=$(lines acc.csv)
	sources=$(printf '%s\n' "$output" | jq -r .src | sort -u | wc -l)
	assert_equal "$(lines rej)" 3
	assert_equal "${stderr_lines[3]}" "twin-ingest: $in lines: 50 accepted (100 readings), 3 rejected, 2 skipped"
	assert_equal $((sources + 3 + 2)) "$in"
}

@test "errors: after a fatal error the counts still add up" {
	printf 'ts,v\r2024-01-01T00:00:00Z,1\r' >cr.csv
	run --separate-stderr twin-ingest --stats cr.csv
	assert_failure 2
	assert_equal "${stderr_lines[1]}" "twin-ingest: 0 lines: 0 accepted (0 readings), 0 rejected, 0 skipped"
	printf 'ts,v\n2024-01-01T00:00:00Z,1\nbad,2\n' >a.csv
	printf 'ts,w\xff\n' >b.csv
	run --separate-stderr twin-ingest --stats a.csv b.csv
	assert_failure 2
	assert_equal "${stderr_lines[2]}" "twin-ingest: 4 lines: 1 accepted (1 readings), 1 rejected, 2 skipped"
}

@test "errors: --strict stops at the first rejected line" {
	printf 'ts,v\n2024-01-01T00:00:00Z,1\nbad,2\n2024-01-01T00:00:02Z,3\n' >s.csv
	run --separate-stderr twin-ingest --strict s.csv
	assert_failure 1
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"s","sensor":"v","value":1}'
	assert_equal "${#stderr_lines[@]}" 1
}

@test "errors: a rejected line writes none of its readings" {
	printf 'ts,a,b,c\n2024-01-01T00:00:00Z,1,2,1.2.3\n' >half.csv
	run --separate-stderr twin-ingest half.csv
	assert_failure 1
	assert_output ""
	assert_equal "$stderr" "twin-ingest: half.csv:2: column 4: not a number: '1.2.3'"
}

@test "errors: invalid UTF-8 in a cell is rejected" {
	printf 'ts,s\n2024-01-01T00:00:00Z,caf\xe9\n' >u.csv
	run --separate-stderr twin-ingest u.csv
	assert_failure 1
	assert_regex "$stderr" '^twin-ingest: u\.csv:2: column 2: invalid UTF-8'
}

@test "errors: offending text is quoted whole: NUL bytes, bad UTF-8, numbers out of range" {
	printf 'ts,t\n2024-01-01T00:00:00Z,1\0002\n2024-01-01T00:00:01Z,\xff1\n2024-01-01T00:00:02Z,1e999\n' >q.csv
	run --separate-stderr twin-ingest q.csv
	assert_failure 1
	assert_equal "$stderr" "twin-ingest: q.csv:2: column 2: not a number: '1?2'
twin-ingest: q.csv:3: column 2: invalid UTF-8 in '?1'
twin-ingest: q.csv:4: column 2: number out of range: '1e999'"
	printf 'm,asset=a t=1e999 1\nm,asset=a t=1x 1\n' >q.lp
	run --separate-stderr twin-ingest q.lp
	assert_failure 1
	assert_equal "$stderr" "twin-ingest: q.lp:1: number out of range: '1e999'
twin-ingest: q.lp:2: not a number: '1x'"
}

@test "errors: --rejects appends lines verbatim, CRLF kept" {
	printf 'ts,v\r\nbad,1\r\n' >crlf.csv
	echo "old" >rej
	run --separate-stderr twin-ingest --rejects=rej crlf.csv
	assert_failure 1
	assert_equal "$(od -c rej | head -2)" "$(printf 'old\nbad,1\r\n' | od -c | head -2)"
}

@test "usage: bad options exit 2 with a message and no output" {
	for args in "-f xml x.csv" "-d ab x.csv" "--layout=tall x.csv" "--since=soon x.csv" \
		"--tz=Mars/Olympus x.csv" "--replay=0 x.csv" "--rename=a x.csv" "--time-format=epoch_fs x.csv" \
		"--no-such-option" "--rejects=/nonexistent/dir/rej x.csv"; do
		run --separate-stderr twin-ingest $args
		assert_failure 2
		assert_output ""
		assert_regex "$stderr" '^twin-ingest: '
	done
}

# --- output -----------------------------------------------------------------

@test "output: a full disk is an error, exit 2" {
	run --separate-stderr bash -c 'twin-ingest "$0" >/dev/full' "$TOP/testdata/pump-1.csv"
	assert_failure 2
	assert_equal "$stderr" "twin-ingest: standard output: No space left on device"
}

@test "output: | head ends the tool quietly" {
	seq 1 200000 | sed 's/^/2024-01-01T00:00:00Z,/' | sed '1i ts,v' >many.csv
	run --separate-stderr bash -c 'set -o pipefail; twin-ingest many.csv | head -n 1'
	assert_equal "$stderr" ""
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"many","sensor":"v","value":1}'
	# killed by SIGPIPE: 128 + 13
	assert_equal "$status" 141
}

@test "output: a live pipe sees each record before the input ends" {
	mkfifo in.fifo
	twin-ingest -f ndjson in.fifo >out.ndjson &
	pid=$!
	exec 4>in.fifo
	printf '{"ts":"2024-01-01T00:00:00Z","asset":"p","sensor":"t","value":1}\n' >&4
	for _ in $(seq 50); do [ -s out.ndjson ] && break; sleep 0.1; done
	assert_equal "$(cat out.ndjson)" '{"ts":"2024-01-01T00:00:00Z","asset":"p","sensor":"t","value":1}'
	exec 4>&-
	wait "$pid"
}

@test "output: --replay paces by event time" {
	printf 'ts,v\n2024-01-01T00:00:00Z,1\n2024-01-01T00:00:02Z,2\n' >r.csv
	start=$(date +%s%N)
	run --separate-stderr twin-ingest --replay=4 r.csv
	took=$(( ($(date +%s%N) - start) / 1000000 ))
	assert_success
	assert_equal "${#lines[@]}" 2
	# 2 s of event time at 4x take at least half a second
	[ "$took" -ge 480 ]
}

@test "output: --follow reads on as the file grows, is truncated and rotated" {
	printf '{"ts":"2024-01-01T00:00:00Z","asset":"p","sensor":"t","value":1}\n' >f.ndjson
	twin-ingest --follow f.ndjson >out &
	pid=$!
	wait_for() { for _ in $(seq 50); do [ "$(lines out)" -ge "$1" ] && return 0; sleep 0.1; done; return 1; }
	wait_for 1
	printf '{"ts":"2024-01-01T00:00:01Z","asset":"p","sensor":"t","value":2}\n' >>f.ndjson
	wait_for 2
	: >f.ndjson
	sleep 0.5
	printf '{"ts":"2024-01-01T00:00:02Z","asset":"p","sensor":"t","value":3}\n' >>f.ndjson
	wait_for 3
	mv f.ndjson f.ndjson.1
	printf '{"ts":"2024-01-01T00:00:03Z","asset":"p","sensor":"t","value":4}\n' >f.ndjson
	wait_for 4
	kill "$pid"
	run jq -c .value out
	assert_output "1
2
3
4"
}

@test "output: --follow starts a replaced CSV afresh, header first" {
	printf 'ts,v\n2024-01-01T00:00:00Z,1\n' >g.csv
	twin-ingest --follow --lineage g.csv >out 2>err &
	pid=$!
	wait_for() { for _ in $(seq 50); do [ "$(lines out)" -ge "$1" ] && return 0; sleep 0.1; done; return 1; }
	wait_for 1
	mv g.csv g.csv.1
	printf 'ts,w\n2024-01-01T00:00:01Z,2\n' >g.csv
	wait_for 2
	kill "$pid"
	run cat out err
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"g","sensor":"v","value":1,"src":"g.csv:2"}
{"ts":"2024-01-01T00:00:01Z","asset":"g","sensor":"w","value":2,"src":"g.csv:2"}'
}

@test "output: --follow on a pipe ends with the pipe" {
	run --separate-stderr bash -c 'printf "%s\n" "{\"ts\":0,\"asset\":\"p\",\"sensor\":\"t\",\"value\":1}" | timeout 5 twin-ingest -f ndjson --follow'
	assert_success
	assert_output '{"ts":"1970-01-01T00:00:00Z","asset":"p","sensor":"t","value":1}'
}

@test "output: progress shows on a terminal by default; --no-progress silences it" {
	command -v script >/dev/null || skip "script(1) is not installed"
	printf 'ts,v\n2024-01-01T00:00:00Z,1\n2024-01-01T00:00:01Z,2\n2024-01-01T00:00:02Z,3\n' >p.csv
	run script -qec "twin-ingest --replay=3 p.csv >out" /dev/null
	assert_success
	assert_output --partial "p.csv: "
	assert_output --partial "MB/s"
	assert_equal "$(lines out)" 3
	run script -qec "twin-ingest --no-progress --replay=3 p.csv >out" /dev/null
	assert_success
	assert_output ""
}

@test "output: --progress leaves the records alone and clears its line" {
	run --separate-stderr twin-ingest --progress "$TOP/testdata/pump-1.csv"
	assert_success
	assert_output "$(cat "$TOP/testdata/golden/pump-1.ndjson")"
}

# --- real recorded data -----------------------------------------------------

@test "real data: every NAB realKnownCause series, naive time stamps read as UTC" {
	nab="$TOP/../shared/data/nab/data/realKnownCause"
	[ -d "$nab" ] || skip "../shared/data is absent"
	run --separate-stderr twin-ingest --stats --asset-field=none "$nab/machine_temperature_system_failure.csv"
	assert_failure 2
	run --separate-stderr twin-ingest --stats --numeric "$nab"/*.csv
	assert_success
	want=0
	for f in "$nab"/*.csv; do want=$((want + $(grep -c '' "$f") - 1)); done
	assert_equal "${#lines[@]}" "$want"
	assert_equal "${lines[0]}" '{"ts":"2013-07-04T00:00:00Z","asset":"ambient_temperature_system_failure","sensor":"value","value":69.88083514}'
}

@test "real data: a SKAB valve experiment, ';'-separated" {
	run --separate-stderr twin-ingest --numeric --stats "$TOP/testdata/skab-valve1-1.csv"
	assert_success
	assert_equal "${#lines[@]}" $(( (1146 - 1) * 10 ))
	assert_equal "$stderr" "twin-ingest: 1146 lines: 1145 accepted (11450 readings), 0 rejected, 1 skipped"
}

@test "time: a repeated local hour is read the same way whatever came before" {
	printf 'ts,v\n2024-11-03 01:30:00,1\n' >a.csv
	printf 'ts,v\n2024-12-01 00:00:00,0\n2024-11-03 01:30:00,1\n' >b.csv
	run --separate-stderr twin-ingest -a x --tz=America/New_York a.csv
	assert_output '{"ts":"2024-11-03T06:30:00Z","asset":"x","sensor":"v","value":1}'
	run --separate-stderr twin-ingest -a x --tz=America/New_York b.csv
	assert_line --index 1 '{"ts":"2024-11-03T06:30:00Z","asset":"x","sensor":"v","value":1}'
	# a time that does not occur takes the offset before it
	printf 'ts,v\n2024-03-31 02:30:00,1\n' >gap.csv
	run --separate-stderr twin-ingest -a x --tz=Europe/Rome gap.csv
	assert_output '{"ts":"2024-03-31T01:30:00Z","asset":"x","sensor":"v","value":1}'
}

@test "csv: CR-only line ends are a clear error; CRLF inside quotes is kept" {
	printf 'ts,a\r2024-03-01T00:00:00Z,1\r' >cr.csv
	run --separate-stderr twin-ingest cr.csv
	assert_failure 2
	assert_regex "$stderr" "^twin-ingest: cr\.csv:1: the lines end in CR alone"
	printf 'ts,v\r\n2024-03-01T00:00:00Z,"a\r\nb"\r\n' >q.csv
	run --separate-stderr twin-ingest q.csv
	assert_output '{"ts":"2024-03-01T00:00:00Z","asset":"q","sensor":"v","value":"a\r\nb"}'
}

@test "skipped records count every line; the window applies to records passed through" {
	printf 'ts,v\n2024-03-01T00:00:00Z,1\n2024-03-01T00:00:01Z,"a\nb"\n2024-03-01T00:00:02Z,3\n' >w.csv
	run --separate-stderr twin-ingest --until=2024-03-01 --stats w.csv
	assert_equal "$stderr" "twin-ingest: 5 lines: 0 accepted (0 readings), 0 rejected, 5 skipped"
	echo '{"ts":"2024-03-01T00:00:00Z","asset":"p","kind":"score","score":1}' >s.ndjson
	run --separate-stderr twin-ingest --since=2024-03-02 s.ndjson
	assert_success
	assert_output ""
	echo '{"ts":"2024-03-01T00:00:00Z","asset":"p","values":{"":1}}' >e.ndjson
	run --separate-stderr twin-ingest e.ndjson
	assert_failure 1
	assert_equal "$stderr" "twin-ingest: e.ndjson:1: an empty member name"
}
