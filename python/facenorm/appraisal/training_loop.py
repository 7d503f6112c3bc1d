"""The epoch loop the appraisal's trainers share: resumes from the checkpoint's epoch, shows a bar
per epoch with the running loss, records each epoch's loss and checkpoints after it."""
import sys

__all__ = ["train_epochs"]


def train_epochs(ckpt, epochs: int, desc: str, unit: str, samples: int, run_epoch, writers: dict,
                 progress: bool = True) -> list:
    """run_epoch(epoch, step) -> the epoch's mean loss, where step(done, loss) reports progress;
    writers: {file: function(path)} saved after every epoch. Returns the loss curve."""
    from tqdm import tqdm

    with tqdm(total=epochs, initial=min(ckpt.state["epoch"], epochs), desc=desc, unit="epoch", file=sys.stderr,
              disable=not progress) as bar:
        for epoch in range(ckpt.state["epoch"], epochs):
            with tqdm(total=samples, desc=f"epoch {epoch + 1}", unit=unit, file=sys.stderr, leave=False,
                      disable=not progress) as inner:
                def step(done, loss):
                    inner.n = done
                    inner.set_postfix(loss=f"{loss:.4f}", refresh=False)
                    inner.refresh()
                loss = run_epoch(epoch, step)
            ckpt.state["losses"].append(round(float(loss), 5))
            ckpt.state["epoch"] = epoch + 1
            ckpt.save(writers)
            bar.update(1)
    return ckpt.state["losses"]
