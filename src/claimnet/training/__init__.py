"""Training: model building, the Trainer and its arguments, class weights, the run folder."""
