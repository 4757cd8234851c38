"""Beat families (morphology templates) and per-recording adaptation of the beat labels ("learn this patient")."""
