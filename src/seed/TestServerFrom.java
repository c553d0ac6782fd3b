// Temporal's time-skipping test server (io.temporal:temporal-test-server, the jars
// src/toolchain/test-server.ts resolves), started at a chosen time instead of now: the demo
// shop's year is simulated on a server whose clock begins where that year begins, so journey
// timers, message times and orders all fall on the shop's real calendar. The jar's own main
// has no such flag; TestServicesStarter takes the initial time. Run by `java` from source.
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.temporal.internal.testservice.GRPCServerHelper;
import io.temporal.internal.testservice.TestServicesStarter;
import java.util.Arrays;

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
    ServerBuilder<?> builder = Grpc.newServerBuilderForPort(port, InsecureServerCredentials.create());
    GRPCServerHelper.registerServicesAndHealthChecks(services.getServices(), builder);
    Server server = builder.build().start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.shutdownNow();
      services.close();
    }));
    server.awaitTermination();
  }
}
