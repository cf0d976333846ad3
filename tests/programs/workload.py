# tests/programs/workload.py: threads and hashlib, the python3 case of the real-program matrix.
import hashlib
import threading

results = {}

def work(i):
    h = hashlib.sha256()
    for j in range(2000):
        h.update(f"{i}:{j}".encode())
    results[i] = h.hexdigest()

threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for i in sorted(results):
    print(i, results[i])
