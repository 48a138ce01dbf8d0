// Command pubsub-fake runs Google's in-memory Pub/Sub fake (pstest) as a
// standalone gRPC server for Hookyard's real-broker tests.
//
// Usage: pubsub-fake [-addr 127.0.0.1:8085] [-batched-pull]
// Clients connect with PUBSUB_EMULATOR_HOST=<addr> and any PUBSUB_PROJECT_ID.
// -batched-pull (or PUBSUB_FAKE_BATCHED_PULL=1): StreamingPull sends messages in batches, for benchmarks
// (batched_pull.go); off by default, so tests get pstest's own StreamingPull.
package main

import (
	"flag"
	"log"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"google.golang.org/grpc"
)

// defaultAckDeadline fills in the real service's default ack deadline (10 s) when a
// CreateSubscription request leaves ack_deadline_seconds unset (0). pstest rejects 0
// with codes.Unknown ("bad ack_deadline_seconds: 0"), which clients retry until their
// deadline; the real service and the gcloud emulator accept it. Client libraries that
// send raw protos (the Node client, the Go v2 client) omit it unless told.
type defaultAckDeadline struct{}

func (defaultAckDeadline) React(req interface{}) (handled bool, ret interface{}, err error) {
	if sub, ok := req.(*pubsubpb.Subscription); ok && sub.GetAckDeadlineSeconds() == 0 {
		sub.AckDeadlineSeconds = 10
	}
	return false, nil, nil // not handled: pstest goes on with the (amended) request
}

func main() {
	defaultAddr := "127.0.0.1:8085"
	if v := os.Getenv("PUBSUB_FAKE_ADDR"); v != "" {
		defaultAddr = v
	}
	defaultBatched, _ := strconv.ParseBool(os.Getenv("PUBSUB_FAKE_BATCHED_PULL"))
	addr := flag.String("addr", defaultAddr, "host:port to listen on")
	batched := flag.Bool("batched-pull", defaultBatched,
		"serve StreamingPull in batches of up to 1000 messages per response (for benchmarks; see batched_pull.go)")
	flag.Parse()

	// Let tests use short ack deadlines (the real service's minimum is 10 s).
	pstest.SetMinAckDeadline(time.Second)

	opts := []pstest.ServerReactorOption{{FuncName: "CreateSubscription", Reactor: defaultAckDeadline{}}}
	var batchedSrv *grpc.Server
	var srv *pstest.Server
	if *batched {
		// pstest's own gRPC server listens on a random loopback port, unused; ours serves the same GServer.
		srv = pstest.NewServerWithAddress("127.0.0.1:0", opts...)
		gs, listening, err := serveBatched(srv, *addr)
		if err != nil {
			log.Fatalf("listen on %s: %v", *addr, err)
		}
		batchedSrv = gs
		log.Printf("pstest Pub/Sub fake listening on %s (batched StreamingPull)", listening)
	} else {
		srv = pstest.NewServerWithAddress(*addr, opts...)
		log.Printf("pstest Pub/Sub fake listening on %s", srv.Addr)
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	s := <-sig
	log.Printf("received %v, shutting down", s)
	if batchedSrv != nil {
		batchedSrv.Stop()
	}
	if err := srv.Close(); err != nil {
		log.Printf("close: %v", err)
	}
}
