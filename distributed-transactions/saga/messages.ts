/**
 * A saga (Garcia-Molina and Salem, "Sagas", SIGMOD 1987): a long-lived transaction split into a
 * sequence of local transactions, each committed on its own service, with a compensating
 * transaction for each that undoes it semantically if a later step fails. The order of the
 * two-phase commit scenario, as a saga run by an orchestrator:
 *
 *   orchestrator ──ReserveStock──▶ stock      (compensation: ReleaseStock)
 *   orchestrator ──SendEmail "order received"──▶ email   (compensation: SendEmail "cancelled")
 *   orchestrator ──ChargePayment──▶ payments  (the last step: if it fails, compensate the others)
 *   service ──StepResult (ok, or failed with a reason)──▶ orchestrator
 *   reader ──Read──▶ stock ──ReadResult (value, the log position it reflects)──▶ reader
 *
 * Every request carries a requestId that names the saga, the step and the direction, so a retry
 * (after a lost message or a crash) is applied at most once.
 */

export type RowAction = "ReserveStock" | "ReleaseStock" | "ChargePayment";

export type SagaMessage =
  | {
      readonly type: RowAction;
      readonly requestId: string;
      readonly saga: string;
      readonly key: string;
      readonly amount: number;
    }
  | {
      readonly type: "SendEmail";
      readonly requestId: string;
      readonly saga: string;
      readonly to: string;
      readonly text: string;
    }
  | {
      readonly type: "StepResult";
      readonly requestId: string;
      readonly ok: boolean;
      readonly reason?: string;
    }
  | { readonly type: "Read"; readonly requestId: string; readonly key: string }
  | {
      readonly type: "ReadResult";
      readonly requestId: string;
      readonly key: string;
      readonly value: number;
      readonly lsn: number;
    };
