// A JVM service that leaks the way JVM services do: a static cache (a HashMap) that nothing ever
// evicts. RUNTIME_MODE=bounded instead keeps the last CACHE_ENTRIES entries (a LinkedHashMap that
// removes its eldest): it fills up to its cap and stays there, and the heap grows towards its
// maximum and stays there too (the JVM rarely gives memory back), which is not a leak.
//   LEAK_KIB_PER_S  KiB retained a second (default 32), after LEAK_START_AFTER seconds (300)
//   CACHE_ENTRIES   the bounded cache's cap in entries of about 1 KiB (default 60000)
// Run as `java Leak.java` (the source launcher: no build step).
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

public class Leak {
  static final Map<Long, byte[]> CACHE = new HashMap<>();

  public static void main(String[] args) throws Exception {
    final String mode = env("RUNTIME_MODE", "leak");
    final double kibPerSecond = Double.parseDouble(env("LEAK_KIB_PER_S", "32"));
    final long startAfterMs = (long) (Double.parseDouble(env("LEAK_START_AFTER", "300")) * 1000);
    final int cap = Integer.parseInt(env("CACHE_ENTRIES", "60000"));
    final Map<Long, byte[]> bounded = new LinkedHashMap<>(16, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Long, byte[]> e) {
        return size() > cap;
      }
    };
    final long started = System.currentTimeMillis();
    final long tickMs = 100;
    double owed = 0;
    long n = 0;
    long garbage = 0;
    while (true) {
      owed += kibPerSecond * tickMs / 1000.0;
      for (; owed >= 1; owed -= 1, n++) {
        garbage += ("request " + n + " " + "g".repeat(2000)).length();
        if (System.currentTimeMillis() - started < startAfterMs) continue;
        byte[] kept = new byte[1000];
        kept[0] = (byte) n;
        if (mode.equals("leak")) {
          CACHE.put(n, kept);
        } else {
          bounded.put(n, kept);
        }
      }
      Thread.sleep(tickMs);
      if (garbage < 0) System.out.println(garbage);
    }
  }

  static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? fallback : v;
  }
}
