// Temporal's time-skipping test server (io.temporal:temporal-test-server, the jars
// src/toolchain/test-server.ts resolves), started at a chosen time instead of now: the demo
// shop's year is simulated on a server whose clock begins where that year begins, so journey
// timers, message times and orders all fall on the shop's real calendar. The jar's own main
// has no such flag; TestServicesStarter takes the initial time. Its clock then moves only when
// it skips (freezeWallClock). Run by `java` from source.
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.temporal.internal.testservice.GRPCServerHelper;
import io.temporal.internal.testservice.TestServicesStarter;
import java.lang.reflect.Field;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.LinkedList;
import java.util.concurrent.locks.Lock;

public final class TestServerFrom {
  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: TestServerFrom <port> [--enable-time-skipping]   (env TEMPORAL_TEST_SERVER_START_MS: epoch ms)");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    boolean timeSkipping = Arrays.asList(args).contains("--enable-time-skipping");
    String start = System.getenv("TEMPORAL_TEST_SERVER_START_MS");
    TestServicesStarter services = new TestServicesStarter(!timeSkipping, start == null ? 0 : Long.parseLong(start));
    speedUpTimeLocks(services);
    freezeWallClock(services);
    ServerBuilder<?> builder = Grpc.newServerBuilderForPort(port, InsecureServerCredentials.create());
    GRPCServerHelper.registerServicesAndHealthChecks(services.getServices(), builder);
    Server server = builder.build().start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.shutdownNow();
      services.close();
    }));
    server.awaitTermination();
  }

  /**
   * Upstream performance bug (temporal-test-server 1.38.0, SelfAdvancingTimerImpl): every time
   * lock and unlock appends an event to a LinkedList that is never trimmed ("debugging purposes
   * only"), and every unlock through a lock handle removes its event with LinkedList.remove, a
   * scan of the whole list. A month of journeys makes that list hundreds of thousands long: the
   * scans were 85 % of the server's CPU (JFR, 2026-12-03). The list is swapped, once, under the
   * timer's own lock, for one backed by a LinkedHashSet: the same events in the same order (the
   * server's diagnostics read them), the same answer from remove (an unbalanced unlock still
   * throws), in constant time. Events have identity equality, so the set is exact. Reported
   * upstream as a review remark in 2018 (cadence-java-client#165, "consider using set for faster
   * removal"), never changed; drop this when the server does.
   */
  static void speedUpTimeLocks(TestServicesStarter services) throws ReflectiveOperationException {
    Object timer = field(services, "selfAdvancingTimer");
    Lock lock = (Lock) field(timer, "lock");
    lock.lock();
    try {
      @SuppressWarnings("unchecked")
      LinkedList<Object> current = (LinkedList<Object>) field(timer, "lockEvents");
      setField(timer, "lockEvents", new LockEvents(current));
    } finally {
      lock.unlock();
    }
  }

  /**
   * The server's clock moves only when it skips. Upstream, while time skipping is locked (the
   * client holds it locked except in sleep(); every workflow task and activity holds it too),
   * the clock runs on with the wall clock, so every journey the demo shop starts in a step got
   * its own start time and its own timer deadlines, milliseconds apart: 3,514 distinct send
   * times for 7,900 messages, each a round of its own for the server to skip to. With the wall
   * clock frozen (SelfAdvancingTimerImpl reads it only to advance a locked clock), a step's
   * journeys share its instant on the shop's 3-hour grid and their timers fire together (387
   * distinct send times). Timers already due still fire while locked; a timer in the future
   * (an activity's retry) waits for the next sleep() of the client.
   */
  static void freezeWallClock(TestServicesStarter services) throws ReflectiveOperationException {
    Object timer = field(services, "selfAdvancingTimer");
    Lock lock = (Lock) field(timer, "lock");
    lock.lock();
    try {
      // Stopped where the locked clock last caught up with it: from here it adds nothing.
      long lastAdvanced = (long) field(timer, "systemTimeMsLastAdvancedWhileLocked");
      long at = lastAdvanced >= 0 ? lastAdvanced : ((Clock) field(timer, "systemClock")).millis();
      setField(timer, "systemClock", Clock.fixed(Instant.ofEpochMilli(at), ZoneOffset.UTC));
    } finally {
      lock.unlock();
    }
  }

  private static Object field(Object owner, String name) throws ReflectiveOperationException {
    return accessible(owner, name).get(owner);
  }

  /** Writes a private field (a final one too: Field.set allows it on an instance field made accessible). */
  private static void setField(Object owner, String name, Object value) throws ReflectiveOperationException {
    accessible(owner, name).set(owner, value);
  }

  private static Field accessible(Object owner, String name) throws ReflectiveOperationException {
    Field f = owner.getClass().getDeclaredField(name);
    f.setAccessible(true);
    return f;
  }

  /** The operations SelfAdvancingTimerImpl uses (add, remove, iterate), on an insertion-ordered set. */
  static final class LockEvents extends LinkedList<Object> {
    private final LinkedHashSet<Object> events;

    LockEvents(LinkedList<Object> current) {
      events = new LinkedHashSet<>(current);
    }

    @Override
    public boolean add(Object event) {
      return events.add(event);
    }

    @Override
    public boolean remove(Object event) {
      return events.remove(event);
    }

    @Override
    public Iterator<Object> iterator() {
      return events.iterator();
    }

    @Override
    public int size() {
      return events.size();
    }
  }
}
