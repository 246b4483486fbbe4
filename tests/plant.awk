# plant.awk - a generated log of a plant of motors, for the scale-out and
# cron tests and the scale-out benchmark.
#
#   awk -v minutes=240 [-v motors=8] [-v seed=7] -f tests/plant.awk > plant.csv
#
# A long CSV, one row a minute for each motor (motor-1 .. motor-N): its
# frame temperature, its losses and the room temperature, as the thermal
# model of models/thermal.json makes them (C = 9200 J/K, R = 0.05 K/W;
# Euler steps of 1 s) with 0.4 degC of uniform noise.  The losses change
# every hour; motor-3 loses its fan halfway (R = 0.09 K/W from then on);
# motor-6 has a spike of 25 degC a third of the way.  awk's rand() with a
# fixed seed: the same file every run of one awk.
BEGIN {
	if (minutes == "") minutes = 240
	if (motors == "") motors = 8
	srand(seed == "" ? 7 : seed)
	print "time,asset,temp_c,power_loss_w,ambient_c"
	for (a = 1; a <= motors; a++) { T[a] = 25; P[a] = 400 + 100 * (a % 8) }
	for (m = 0; m < minutes; m++) {
		amb = 22 + 3 * sin(m / 90)
		for (a = 1; a <= motors; a++) {
			if (m % 60 == 0)
				P[a] = 400 + 100 * (a % 8) + int(rand() * 400)
			R = (a == 3 && m > minutes / 2) ? 0.09 : 0.05
			for (s = 0; s < 60; s++)
				T[a] += (P[a] - (T[a] - amb) / R) / 9200
			t = T[a] + (rand() - 0.5) * 0.4
			if (a == 6 && m == int(minutes / 3))
				t += 25
			d = int(m / 60 / 24)
			printf "2024-03-%02d %02d:%02d:00,motor-%d,%.2f,%d,%.2f\n", 1 + d, int(m / 60) % 24,
				m % 60, a, t, P[a], amb
		}
	}
}
